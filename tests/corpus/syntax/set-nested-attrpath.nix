{ a.b.c = 1; a.d = 2; e.f = 3; }
