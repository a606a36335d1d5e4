# Evaluates flake.nix's outputs against a stub nixpkgs (stub-lib.nix, and builders that return the
# arguments they were called with), so a test can read what nix/package.nix asks buildNpmPackage
# for and what the flake's module sets, without nixpkgs or a network.
#
#   nix-instantiate --eval --strict --json test/unit/nix/eval-flake.nix
let
  lib = import ./stub-lib.nix;
  flake = import ../../../flake.nix;

  fakePackage = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };

  pkgsFor = system: rec {
    inherit lib;
    stdenv = {
      hostPlatform.system = system;
      cc.cc.lib = fakePackage "gcc-lib";
    };
    callPackage = path: args: import path (packageArgs // args);
    packageArgs = {
      inherit lib stdenv;
      buildNpmPackage = args: args;
      importNpmLock = {
        __functor = _: args: args;
        npmConfigHook = fakePackage "import-npm-lock-config-hook";
      };
      nodejs_22 = fakePackage "nodejs-22";
      makeWrapper = fakePackage "make-wrapper";
      autoPatchelfHook = fakePackage "auto-patchelf-hook";
      chromium = fakePackage "chromium";
      git = fakePackage "git";
      restic = fakePackage "restic";
      python3.withPackages =
        f:
        fakePackage "python3-env"
        // {
          modules = f {
            pytest = "pytest";
            requests = "requests";
            httpx = "httpx";
          };
        };
    };
  };

  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] pkgsFor;
  };
  self = flake.outputs { inherit self nixpkgs; };

  package = self.packages.x86_64-linux.default;
  lockPackages = package.npmDeps.packageLock.packages;
  module = self.nixosModules.default {
    inherit lib;
    pkgs = pkgsFor "x86_64-linux";
  };
  keptBySource = name: package.src.filter "/src/${name}" "directory";
in
{
  systems = builtins.attrNames self.packages;
  package = {
    inherit (package) pname version installPhase;
    env = package.env;
    nodejs = package.nodejs.name;
    nativeBuildInputs = map (p: p.name) package.nativeBuildInputs;
    buildInputs = map (p: p.name) package.buildInputs;
    npmConfigHook = package.npmConfigHook.name;
    pytestModules = package.passthru.pytest.modules;
    # Every package-lock entry and its URL; the root ("") has none.
    resolved = builtins.mapAttrs (_: p: p.resolved or null) lockPackages;
    integrity = builtins.mapAttrs (_: p: p.integrity or null) lockPackages;
    sourceKeeps = lib.genAttrs [
      "src"
      "recipes"
      "package.json"
      "node_modules"
      "dist"
      "docs"
      "nix"
      "flake.nix"
    ] keptBySource;
  };
  module = {
    imports = map (p: baseNameOf (toString p)) module.imports;
    # mkDefault: the flake's own package unless the operator gives another.
    packagePriority = module.services.cc-ci.package.priority;
    packageName = module.services.cc-ci.package.content.pname;
  };
}
