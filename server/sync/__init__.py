"""Sync: the push/pull protocol, mutation handlers and the change feed."""
