({ ... }@all: all) { q = 1; }
