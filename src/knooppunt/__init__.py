"""Knooppunt: an open-source Schuldenknooppunt."""

__version__ = "0.1.0"
