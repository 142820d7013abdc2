import ./fixtures/lazy-args.nix { z = throw "lazy"; a = 1; }
