(import ./fixtures/function.nix { }) 5
