"""Application services: each call is one transaction that loads, applies domain rules, stores."""
