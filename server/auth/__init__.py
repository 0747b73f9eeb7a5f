"""Staff authentication (passwords, per-device tokens) and per-route role rules."""
