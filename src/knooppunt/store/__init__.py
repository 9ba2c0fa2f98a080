"""Persistence: SQLAlchemy models, sessions, Alembic migrations. All SQL lives here."""
