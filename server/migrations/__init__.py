"""Alembic migrations; run at server start (`upgrade heads`)."""
