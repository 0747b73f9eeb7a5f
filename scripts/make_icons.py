"""Draws the PWA icons (pwa/icons/*.png) with Pillow, so the repo carries no hand-made binaries.

Run: .venv/bin/python scripts/make_icons.py   (writes pwa/icons/, idempotent)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"
BRAND = (14, 116, 144)  # teal-700, also theme_color in the manifest
ACCENT = (251, 191, 36)  # amber: the wrench
WHITE = (255, 255, 255)
SUPERSAMPLE = 4  # draw large, downscale: Pillow's polygons have no anti-aliasing


def _glyph(draw: ImageDraw.ImageDraw, cx: float, cy: float, size: float, fg, accent) -> None:
    """A house (the compound) with a wrench across its door (field service), centred on (cx, cy)."""
    s = size / 2
    roof = [(cx - s, cy - 0.05 * s), (cx, cy - 0.95 * s), (cx + s, cy - 0.05 * s)]
    draw.line(roof, fill=fg, width=max(2, int(0.16 * s)), joint="curve")
    draw.rounded_rectangle(
        (cx - 0.72 * s, cy - 0.15 * s, cx + 0.72 * s, cy + 0.9 * s), radius=0.12 * s, fill=fg
    )
    # wrench: a handle and a round head with a notch, laid diagonally over the house body
    w = 0.15 * s
    x0, y0, x1, y1 = cx - 0.42 * s, cy + 0.68 * s, cx + 0.28 * s, cy + 0.02 * s
    draw.line([(x0, y0), (x1, y1)], fill=accent, width=int(2 * w))
    draw.ellipse((x0 - w, y0 - w, x0 + w, y0 + w), fill=accent)
    r = 0.3 * s
    draw.ellipse((x1 - r, y1 - r, x1 + r, y1 + r), fill=accent)
    n = 0.13 * s
    draw.rectangle((x1 - n * 0.2, y1 - r - 1, x1 + r + 1, y1 + n * 0.2), fill=fg)


def icon(px: int, *, maskable: bool = False, monochrome: bool = False) -> Image.Image:
    big = px * SUPERSAMPLE
    if monochrome:  # notification badge: Android uses only the alpha channel
        img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        _glyph(ImageDraw.Draw(img), big / 2, big / 2 + big * 0.04, big * 0.8, WHITE, (0, 0, 0, 0))  # wrench cut out
        return img.resize((px, px), Image.LANCZOS)
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:  # full bleed; the glyph stays inside the 80 % safe circle
        d.rectangle((0, 0, big, big), fill=BRAND)
        _glyph(d, big / 2, big / 2 + big * 0.03, big * 0.5, WHITE, ACCENT)
    else:
        d.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=BRAND)
        _glyph(d, big / 2, big / 2 + big * 0.04, big * 0.66, WHITE, ACCENT)
    return img.resize((px, px), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    outputs = {
        "icon-192.png": icon(192),
        "icon-512.png": icon(512),
        "icon-maskable-512.png": icon(512, maskable=True),
        "apple-touch-icon.png": icon(180, maskable=True),  # iOS rounds the corners itself
        "badge-96.png": icon(96, monochrome=True),
    }
    for name, img in outputs.items():
        img.save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
