{ ok = 1; bad = throw "not forced in non-strict"; }
