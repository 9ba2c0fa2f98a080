"""The standard, pure: catalogue, identifiers, working-day calendar, JWE header rules.

Imports nothing of the rest of Knooppunt.
"""
