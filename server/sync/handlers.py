"""Imports every module that registers mutation handlers."""

from server.services import (
    field,  # noqa: F401
    field_emergency,  # noqa: F401
    gate,  # noqa: F401
)
