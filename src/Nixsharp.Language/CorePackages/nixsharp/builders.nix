# Builders for text files, scripts and trees of symbolic links. Each is a derivation whose
# builder is `/bin/sh -e -c SCRIPT`, its attributes reaching the script as environment variables.
{ lib, system }:
let
  inherit (lib) concatMapStrings escapeShellArg mapAttrsToList optionalString;

  # Scripts for the shell every host has: deployed hosts need no shell from the store, and the
  # check at build time catches syntax errors.
  shellScript = args: writeTextFile (args // {
    executable = true;
    text = "#!/bin/sh\n" + args.text;
    checkPhase = ''/bin/sh -n "$target"'';
  });

  # runCommand "name" { attributes… } "script that makes $out": the form the others are made of.
  runCommand = name: env: script:
    derivation ({ inherit system; } // env // {
      inherit name;
      builder = "/bin/sh";
      args = [ "-e" "-c" script ];
    });

  # A file in the store holding `text`, at $out or at $out/destination (destination starts
  # with '/'); checkPhase runs afterwards with $target naming the file.
  writeTextFile = { name, text, executable ? false, destination ? "", checkPhase ? "" }:
    assert destination == "" || builtins.substring 0 1 destination == "/"
      || throw "writeTextFile: destination '${destination}' must be empty or start with '/'";
    runCommand name {
      inherit text;
      # Through a file, not the environment: configuration texts can outgrow the argument limit.
      passAsFile = [ "text" ];
      # Writing it is cheaper than fetching it from anywhere.
      preferLocalBuild = true;
      allowSubstitutes = false;
    } (''
      target="$out"${escapeShellArg destination}
    '' + optionalString (destination != "") ''
      mkdir -p "$(dirname "$target")"
    '' + ''
      cat "$textPath" > "$target"
    '' + optionalString executable ''
      chmod +x "$target"
    '' + checkPhase);

in
{
  inherit runCommand writeTextFile;

  writeText = name: text: writeTextFile { inherit name text; };

  # An executable /bin/sh script at $out.
  writeShellScript = name: text: shellScript { inherit name text; };

  # An executable /bin/sh script at $out/bin/name, for symlinkJoin and PATH.
  writeShellScriptBin = name: text: shellScript { inherit name text; destination = "/bin/${name}"; };

  # symlinkJoin { name; paths; postBuild ? ""; }: one tree holding what all the paths hold.
  # Directories are made here; everything else is a link into the path it came from. When two
  # paths have an entry of the same name, the one earlier in `paths` wins.
  symlinkJoin = { name, paths, postBuild ? "" }:
    runCommand name {
      inherit paths;
      preferLocalBuild = true;
      allowSubstitutes = false;
    } (''
      join() {
        local entry target
        mkdir -p "$2"
        for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
          # a pattern that matched nothing stays as it is
          if [ ! -e "$entry" ] && [ ! -L "$entry" ]; then continue; fi
          target="$2/''${entry##*/}"
          if [ -d "$entry" ]; then
            if [ -L "$target" ]; then continue; fi
            join "$entry" "$target"
          elif [ ! -e "$target" ] && [ ! -L "$target" ]; then
            ln -s "$entry" "$target"
          fi
        done
      }
      mkdir -p "$out"
      for path in $paths; do join "$path" "$out"; done
    '' + postBuild);

  # linkFarm "name" entries: a directory of links, entries being [ { name; path; } … ] or
  # { name = path; … }. A name with '/' in it makes the directories on the way.
  linkFarm = name: entries:
    let
      list = if builtins.isList entries then entries
        else mapAttrsToList (name: path: { inherit name path; }) entries;
    in
    runCommand name { preferLocalBuild = true; allowSubstitutes = false; } (''
      mkdir -p "$out"
      cd "$out"
    '' + concatMapStrings (entry: ''
      mkdir -p "$(dirname ${escapeShellArg entry.name})"
      ln -s ${escapeShellArg "${entry.path}"} ${escapeShellArg entry.name}
    '') list);
}
