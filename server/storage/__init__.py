"""Storage: SQLAlchemy Core tables, engine setup and the unit of work."""
