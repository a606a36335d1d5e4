# The few functions of nixpkgs' `lib` that nix/module.nix, nix/package.nix and flake.nix use,
# written for the tests (no nixpkgs and no network here), with nixpkgs' semantics for each.
# Option types carry a `check`, so eval-module.nix can refuse a value of the wrong type.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    head
    isAttrs
    isBool
    isString
    listToAttrs
    mapAttrs
    stringLength
    substring
    tail
    ;

  type = name: check: { inherit name check; };
in
rec {
  # Options and the module system (eval-module.nix does the evaluating).
  mkOption = attrs: attrs // { _type = "option"; };
  mkEnableOption = name: mkOption {
    type = types.bool;
    default = false;
    description = "Whether to enable ${name}.";
  };
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  mkDefault = content: {
    _type = "override";
    priority = 1000;
    inherit content;
  };
  types = {
    bool = type "bool" isBool;
    str = type "str" isString;
    package = type "package" (v: isAttrs v && v ? outPath);
    nullOr = t: type "null or ${t.name}" (v: v == null || t.check v);
    attrs = type "attrs" isAttrs;
  };

  # Attribute sets and lists.
  optional = cond: x: if cond then [ x ] else [ ];
  optionalAttrs = cond: set: if cond then set else { };
  optionalString = cond: s: if cond then s else "";
  filterAttrs =
    pred: set:
    listToAttrs (
      map (name: {
        inherit name;
        value = set.${name};
      }) (filter (name: pred name set.${name}) (attrNames set))
    );
  mapAttrsToList = f: set: map (name: f name set.${name}) (attrNames set);
  recursiveUpdate =
    lhs: rhs:
    lhs
    // mapAttrs (
      name: value: if isAttrs value && isAttrs (lhs.${name} or null) then recursiveUpdate lhs.${name} value else value
    ) rhs;
  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && set ? ${head path} then
      attrByPath (tail path) default set.${head path}
    else
      default;
  genAttrs =
    names: f:
    listToAttrs (
      map (name: {
        inherit name;
        value = f name;
      }) names
    );
  importJSON = path: builtins.fromJSON (builtins.readFile path);

  # Strings.
  inherit concatStringsSep;
  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
  makeBinPath = packages: concatStringsSep ":" (map (p: "${p}/bin") packages);

  # Sources and metadata, as plain records.
  cleanSourceWith = args: args // { outPath = "/nix/store/00000000000000000000000000000000-source"; };
  licenses.agpl3Plus = "AGPL-3.0-or-later";
  platforms.linux = [
    "x86_64-linux"
    "aarch64-linux"
  ];
}
