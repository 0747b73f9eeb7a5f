"""Pure domain rules: no I/O, no framework imports; clocks, ids and randomness are parameters."""
