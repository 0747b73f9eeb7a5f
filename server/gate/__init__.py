"""The gate: signed release-slip QR payloads a guard can verify offline (R-RS-1, R-RS-2)."""
