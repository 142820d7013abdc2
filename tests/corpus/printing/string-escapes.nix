"newline\n tab\t cr\r quote\" backslash\\ interp\${x} dollar$ brace{"
