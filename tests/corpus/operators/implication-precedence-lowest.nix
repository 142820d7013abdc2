true -> false || true
