"""Certificates: parsing participant certificates, chain verification, the development CA."""
