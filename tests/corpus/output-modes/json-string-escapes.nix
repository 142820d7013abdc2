"q\" b\\ n\n t\t ü ✓"
