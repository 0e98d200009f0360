"""Alembic migrations of the service database (shipped in the package, run at start-up)."""
