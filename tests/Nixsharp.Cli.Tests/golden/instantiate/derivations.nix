# 200+ derivations of every kind instantiation handles, to compare with Nix 2.8: .drv paths, output
# paths and .drv bytes. Attribute names are padded so nix-instantiate's name order is numeric order.
let
  system = "x86_64-linux";
  mk = attrs: derivation ({ inherit system; builder = "/bin/sh"; } // attrs);
  pad = n: let s = toString n; in if n < 10 then "00${s}" else if n < 100 then "0${s}" else s;
  named = prefix: list: builtins.listToAttrs (builtins.genList (i: { name = "${prefix}${pad i}"; value = builtins.elemAt list i; }) (builtins.length list));

  # Plain derivations with varied attributes.
  plain = builtins.genList (i: mk {
    name = "plain-${toString i}";
    args = [ "-c" "echo ${toString i} > $out" ];
    number = i;
    flag = i / 2 * 2 == i;
    nothing = null;
    list = [ 1 "two" 3.5 ];
    text = "line one\nline \"two\"\ttabbed\\ ${toString (i * i)} ü ✓";
  }) 40;

  # Multiple outputs, in different orders.
  multi = builtins.genList (i: mk {
    name = "multi-${toString i}";
    outputs = if i / 2 * 2 == i then [ "out" "dev" "lib" ] else [ "bin" "out" "man" "doc" ];
    i = i;
  }) 20;

  # Fixed-output derivations: every algorithm, mode and hash encoding.
  hashes = [
    { outputHashAlgo = "sha256"; outputHash = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; }
    { outputHashAlgo = "sha256"; outputHash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; }
    { outputHash = "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="; }
    { outputHashAlgo = "sha1"; outputHash = "a9993e364706816aba3e25717850c26c9cd0d89d"; }
    { outputHashAlgo = "md5"; outputHash = "900150983cd24fb0d6963f7d28e17f72"; }
    { outputHash = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="; }
  ];
  fixed = builtins.concatLists (builtins.genList (i:
    map (mode: mk ({ name = "fixed-${toString i}-${mode}"; outputHashMode = mode; } // builtins.elemAt hashes i)) [ "flat" "recursive" ]
  ) (builtins.length hashes));
  # The same fixed output from different derivations: same output path, different .drv paths.
  fixedTwins = builtins.genList (i: mk { name = "twin"; outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; variant = i; }) 6;

  # Dependency chains: each step uses the previous one's outputs (and, through a fixed-output
  # derivation, the modulo hash).
  chain = n: builtins.foldl' (acc: i: acc ++ [ (mk {
    name = "chain-${toString n}-${toString i}";
    prev = if acc == [ ] then "none" else builtins.elemAt acc (builtins.length acc - 1);
    args = [ "-c" "cat ${if acc == [ ] then "/dev/null" else (builtins.elemAt acc (builtins.length acc - 1))} > $out" ];
  }) ]) [ ] (builtins.genList (x: x) 10);
  chains = builtins.concatLists (builtins.genList chain 4);
  fixedDep = mk { name = "fixed-dep"; outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; };
  throughFixed = builtins.genList (i: mk { name = "through-fixed-${toString i}"; dep = fixedDep; devDep = (builtins.elemAt multi i).dev or ""; }) 10;

  # Structured attributes and passAsFile.
  structured = builtins.genList (i: mk {
    name = "structured-${toString i}";
    __structuredAttrs = true;
    nested = { a = i; b = [ "x" { c = null; } ]; f = 1.5; };
    outputs = [ "out" "dev" ];
    dep = builtins.elemAt plain i;
    unicode = "ünïcödé ${toString i}";
  }) 20;
  passAsFile = builtins.genList (i: mk {
    name = "pass-as-file-${toString i}";
    passAsFile = [ "big" "other" ];
    big = builtins.concatStringsSep "\n" (builtins.genList toString (i * 10 + 1));
    other = "x";
  }) 10;

  # Inputs from the store: toFile texts, source files and directories, references between them.
  texts = builtins.genList (i: builtins.toFile "text-${toString i}.txt" "text ${toString i}\n") 10;
  textWithRef = builtins.toFile "with-ref.txt" "refers to ${./src/a.txt} and ${builtins.elemAt texts 0}";
  sources = builtins.genList (i: mk {
    name = "sources-${toString i}";
    src = ./src;
    file = ./src/a.txt;
    script = ./src/run.sh;
    text = builtins.elemAt texts i;
    withRef = textWithRef;
    args = [ "-c" ". ${./src/run.sh}; cat ${builtins.elemAt texts i}" ];
  }) 10;

  # Derivations depending on specific outputs of multi-output derivations, and output strings.
  outputDeps = builtins.genList (i: let m = builtins.elemAt multi i; in mk {
    name = "output-deps-${toString i}";
    all = builtins.concatStringsSep " " (map (o: m.${o}) m.outputs);
    first = m;
  }) 20;

  # Odd but legal names and attribute names.
  oddNames = builtins.genList (i: mk {
    name = builtins.elemAt [ "a" "A-B.c_d+e?f=g" "1.2.3" "x-${toString i}" "-dash" ] (i - i / 5 * 5) + "-${toString i}";
    "attr with spaces" = "v";
    "" = "empty key";
  }) 10;

  # __ignoreNulls drops null attributes from the environment.
  ignoreNulls = builtins.genList (i: mk {
    name = "ignore-nulls-${toString i}";
    __ignoreNulls = i / 2 * 2 == i;
    maybe = if i < 5 then null else "set";
    always = null;
  }) 10;

  # An empty output hash: Nix warns and assumes a fake hash.
  emptyHash = mk { name = "empty-hash"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = ""; };
in
  named "plain" plain // named "multi" multi // named "fixed" fixed // named "twin" fixedTwins
  // named "chain" chains // named "through" throughFixed // named "structured" structured
  // named "passasfile" passAsFile // named "sources" sources // named "outputdeps" outputDeps
  // named "odd" oddNames // named "ignorenulls" ignoreNulls // { inherit fixedDep emptyHash; }
