(import (toString ./fixtures/lib.nix)).f 1
