{ "new\nline" = 1; "q\"uote" = 2; "d\${x}" = 3; }
