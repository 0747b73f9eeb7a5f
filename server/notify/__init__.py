"""Notifications to people's devices: Web Push (VAPID keys, sender, retry policy)."""
