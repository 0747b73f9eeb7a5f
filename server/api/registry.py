"""The feature route handlers, registered here so app.py stays wiring only."""

from __future__ import annotations


def handlers() -> list:
    return []
