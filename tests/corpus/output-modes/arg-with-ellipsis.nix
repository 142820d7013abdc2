{ ... }@args: args
