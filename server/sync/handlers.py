"""Imports every module that registers mutation handlers."""

from server.services import field  # noqa: F401
from server.services import gate  # noqa: F401
