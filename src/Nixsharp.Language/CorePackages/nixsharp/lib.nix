# A few list, set and string helpers for writing configuration files; nothing here builds.
rec {
  # Conditionals that produce the empty value of their type when the condition is false.
  optional = cond: item: if cond then [ item ] else [ ];
  optionals = cond: items: if cond then items else [ ];
  optionalString = cond: text: if cond then text else "";
  optionalAttrs = cond: attrs: if cond then attrs else { };

  concatStrings = builtins.concatStringsSep "";
  concatStringsSep = builtins.concatStringsSep;
  concatMapStrings = f: items: concatStrings (map f items);
  concatMapStringsSep = sep: f: items: builtins.concatStringsSep sep (map f items);
  # Each item followed by a newline: the usual shape of a configuration file.
  concatLines = items: concatMapStrings (line: line + "\n") items;

  # Attribute sets walked in name order, as builtins.attrNames gives them.
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
  filterAttrs = keep: attrs:
    builtins.listToAttrs (builtins.concatMap
      (name: if keep name attrs.${name} then [ { inherit name; value = attrs.${name}; } ] else [ ])
      (builtins.attrNames attrs));
  genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);

  # One shell word whatever the text holds: single quotes, with each ' written as '\''.
  escapeShellArg = arg: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg) + "'";
  escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
}
