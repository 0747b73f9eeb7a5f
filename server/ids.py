"""Identifier generation for stored entities (time-ordered so indexes stay append-mostly)."""

from __future__ import annotations

import os
import time


def new_id(prefix: str = "") -> str:
    # 48-bit millisecond time + 80 random bits, base32-ish hex: sortable and collision-free enough.
    ms = int(time.time() * 1000)
    return f"{prefix}{ms:012x}{os.urandom(10).hex()}"
