# Evaluates nix/module.nix the way NixOS would, far enough to read what it sets, with the stub
# lib (stub-lib.nix) and stub packages: each option is its default unless the operator's
# configuration (JSON, as NixOS options would be written) sets it; a value of the wrong type or an
# unknown option is an error, as in NixOS. Prints what the module sets, with the value cc-ci.yml
# is rendered from in place of the generated file.
#
#   nix-instantiate --eval --strict --json test/unit/nix/eval-module.nix --argstr configJson '{...}'
{ configJson }:
let
  lib = import ./stub-lib.nix;
  operator = builtins.fromJSON configJson;

  fakePackage = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };
  pkgs = {
    # The generated file stands for the value it renders (in NixOS: YAML through remarshal).
    formats.yaml = _: {
      type = lib.types.attrs;
      generate = name: value: fakePackage name // { rendered = value; };
    };
    callPackage = _path: _args: fakePackage "cc-ci";
    git = fakePackage "git";
    openssl = fakePackage "openssl";
    coreutils = fakePackage "coreutils";
  };

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";

  # The options' values: the operator's where given (checked against the option's type), else
  # the default.
  fill =
    path: options: given:
    let
      unknown = builtins.filter (name: !(options ? ${name})) (builtins.attrNames given);
    in
    if unknown != [ ] then
      throw "The option `${path}.${builtins.head unknown}' does not exist."
    else
      builtins.mapAttrs (
        name: option:
        let
          at = "${path}.${name}";
        in
        if isOption option then
          let
            value = if given ? ${name} then given.${name} else option.default;
          in
          if option.type.check value then value else throw "The option `${at}' is not of type `${option.type.name}'."
        else
          fill at option (given.${name} or { })
      ) options;

  config = {
    services.cc-ci = fill "services.cc-ci" module.options.services.cc-ci (operator.services.cc-ci or { });
    virtualisation.docker.package = fakePackage "docker";
  };
  module = import ../../../nix/module.nix { inherit config lib pkgs; };

  # The module's config is one mkIf; NixOS would drop it when the condition is false.
  set = if module.config.condition then module.config.content else { };
  render = v: if builtins.isAttrs v && v ? rendered then v.rendered else v;
in
{
  enabled = module.config.condition;
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) (set.assertions or [ ]));
  warnings = set.warnings or [ ];
  settings = if set == { } then null else render set.environment.etc."cc-ci/cc-ci.yml".source;
  configFile = if set == { } then null else set.environment.etc."cc-ci/cc-ci.yml".source.outPath;
  # The config of the drift check (cc-ci-host-check.service), which names its own credentials.
  checkSettings = if set == { } then null else render set.environment.etc."cc-ci/host-check.yml".source;
  checkConfigFile = if set == { } then null else set.environment.etc."cc-ci/host-check.yml".source.outPath;
  environment = if set == { } then null else set.environment.variables;
  docker = set.virtualisation.docker or null;
  users = set.users or null;
  services = set.systemd.services or { };
  timers = set.systemd.timers or { };
}
