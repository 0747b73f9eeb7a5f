"""Images the tests, the e2e suite and the benches upload: real PNGs, distinct per seed."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw


def signature_png(seed: str = "sig") -> bytes:
    """A small real PNG (a drawn stroke), distinct per seed, like the phone's signature canvas."""
    im = Image.new("RGB", (240, 80), "white")
    d = ImageDraw.Draw(im)
    # Eight points from eight bytes of the seed's hash: two seeds drawing the same stroke (and so the
    # same blob, which the server rightly refuses as a reused signature) is out of reach. The old
    # two-point stroke had only 200 shapes, and random case ids collided now and then.
    digest = hashlib.sha256(seed.encode()).digest()
    d.line([(10 + 30 * i, 8 + digest[i] % 64) for i in range(8)], fill="black", width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()
