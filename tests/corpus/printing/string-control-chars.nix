builtins.fromJSON ''"bell\u0007 esc\u001b del\u007f"''
