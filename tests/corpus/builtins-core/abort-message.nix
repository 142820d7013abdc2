abort "custom abort"
