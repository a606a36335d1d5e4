# cc-ci as a Nix package: built with buildNpmPackage from package-lock.json (through importNpmLock,
# so no dependency hash has to be kept in step with the lockfile), installed under
# lib/node_modules/cc-ci with `bin/cc-ci`, a wrapper that puts on PATH what cc-ci starts itself.
{
  lib,
  stdenv,
  buildNpmPackage,
  importNpmLock,
  nodejs_22,
  makeWrapper,
  autoPatchelfHook,
  chromium,
  git,
  restic,
  python3,
}:
let
  # Only what the build reads: a change to docs/, nix/ or the flake does not rebuild cc-ci, and a
  # checkout's own node_modules/ or dist/ never leaks in.
  src = lib.cleanSourceWith {
    src = ../.;
    filter =
      path: _type:
      !(builtins.elem (baseNameOf path) [
        ".ci"
        ".git"
        "node_modules"
        "dist"
        "data"
        "docs"
        "nix"
        "coverage"
        "test-results"
        "flake.nix"
        "flake.lock"
        "result"
      ]);
  };

  package = lib.importJSON ../package.json;

  # A recipe's tests/test_*.py run with this pytest (src/stages/recipe-local/find-pytest.ts looks
  # for `pytest` on PATH), with the libraries docs/install.md names for Debian.
  pytest = python3.withPackages (ps: [
    ps.pytest
    ps.requests
    ps.httpx
  ]);
in
buildNpmPackage {
  pname = "cc-ci";
  inherit (package) version;
  inherit src;

  # package.json asks for Node >= 20.19; nixpkgs' Node 20 reached its end of life in April 2026.
  nodejs = nodejs_22;

  npmDeps = importNpmLock {
    inherit package;
    packageLock = import ./npm-lock.nix { lockFile = ../package-lock.json; };
  };
  npmConfigHook = importNpmLock.npmConfigHook;

  # better-sqlite3 is compiled here with node-gyp (buildNpmPackage brings Python and the Node
  # headers); prebuild-install would try to download a binary, which the sandbox forbids.
  env.npm_config_build_from_source = "true";

  nativeBuildInputs = [
    makeWrapper
    autoPatchelfHook
  ];
  # @lydell/node-pty ships a prebuilt pty.node linked against libstdc++: autoPatchelfHook points it there.
  buildInputs = [ stdenv.cc.cc.lib ];

  # `npm run build` (tsc) writes dist/. The default install hook packs with `npm pack`, which
  # leaves out dist/ (it is in .gitignore and package.json lists no "files"), so install by hand.
  installPhase = ''
    runHook preInstall

    npm prune --omit=dev --no-save
    dir=$out/lib/node_modules/cc-ci
    mkdir -p $dir/dist $out/bin
    # dist/src only: tests, benchmarks and the testbed stay out (the demo needs a checkout).
    cp -r dist/src $dir/dist/src
    cp -r package.json node_modules recipes $dir/

    # Chromium: the browser checks (CCCI_CHROMIUM). git clones recipes, pytest runs recipes'
    # Python tests; restic is there for restoring the backup bot's repository by hand (cc-ci
    # itself runs restic inside the bot's container). abra and docker come from the NixOS module.
    makeWrapper ${nodejs_22}/bin/node $out/bin/cc-ci \
      --add-flags $dir/dist/src/cli.js \
      --set-default CCCI_CHROMIUM ${chromium}/bin/chromium \
      --prefix PATH : ${
        lib.makeBinPath [
          git
          restic
          pytest
        ]
      }

    runHook postInstall
  '';

  # The Python the wrapper's PATH holds, for a NixOS configuration that wants the same.
  passthru.pytest = pytest;

  meta = {
    description = package.description;
    license = lib.licenses.agpl3Plus;
    mainProgram = "cc-ci";
    platforms = lib.platforms.linux;
  };
}
