"""HTTP controllers: decode, call one service, encode. No transactions or rules here."""
