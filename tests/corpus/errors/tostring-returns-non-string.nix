"${{ __toString = self: 42; }}"
