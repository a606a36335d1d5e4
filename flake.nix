# cc-ci as a flake: the package (nix/package.nix) and the NixOS module `services.cc-ci`
# (nix/module.nix; docs/nixos.md has a whole host configuration with sops-nix).
{
  description = "cc-ci: continuous integration for Co-op Cloud recipes";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs =
    { self, nixpkgs }:
    let
      # Chromium, Docker and abra are Linux programs; these are the systems nixpkgs builds Chromium for.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forEachSystem = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forEachSystem (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
        cc-ci = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      });

      # The module alone builds cc-ci from the host's own nixpkgs; the flake's package is the default here.
      nixosModules.default =
        { lib, pkgs, ... }:
        {
          imports = [ ./nix/module.nix ];
          services.cc-ci.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
      nixosModules.cc-ci = self.nixosModules.default;
    };
}
