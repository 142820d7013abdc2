builtins.toJSON "héllo ✓ 😀"
