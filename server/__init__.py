"""EstateDesk: offline-first dispatch and field service for residential compounds."""
