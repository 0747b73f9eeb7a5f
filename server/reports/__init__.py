"""Report exports: turn domain report structs into files people open (XLSX)."""
