"""Response compression: which answers are gzipped, and the routes that opt out."""

from __future__ import annotations

from litestar.config.compression import CompressionConfig

# JSON answers (a phone's first pull, the desk's lists refreshed every 30 s) shrink ~8-10x: that is
# what a phone on one bar of signal in a basement waits for. Level 5 costs a fraction of level 9's
# CPU for a few per cent more bytes (docs/benchmarks.md). Images and the .xlsx (a zip) are already
# compressed; their routes opt out with NO_COMPRESSION.
COMPRESSION = CompressionConfig(
    backend="gzip", gzip_compress_level=5, minimum_size=1024, exclude_opt_key="no_compression"
)
NO_COMPRESSION = {"no_compression": True}
