{ u = https://nixos.org; }
