# package-lock.json with a `resolved` URL for every registry package.
#
# cc-ci's lockfile records no `resolved` fields (npm leaves them out when it is told to, and then
# fetches from whatever registry it is configured with). nixpkgs' importNpmLock fetches each
# package from its `resolved` URL, checked against its `integrity` hash, so this fills in the URL
# npm's registry serves the tarball at: https://registry.npmjs.org/<name>/-/<basename>-<version>.tgz
# (<basename> is the name without its @scope/). Builtins only, so that a test can evaluate it
# without nixpkgs.
{
  lockFile,
  registry ? "https://registry.npmjs.org",
}:
let
  lock = builtins.fromJSON (builtins.readFile lockFile);

  # "node_modules/a/node_modules/@s/b" -> "@s/b": the name is what follows the last node_modules/.
  nameOf =
    path:
    let
      parts = builtins.split "node_modules/" path;
    in
    builtins.elemAt parts (builtins.length parts - 1);

  # "@s/b" -> "b"; "b" -> "b".
  baseNameOf' =
    name:
    let
      m = builtins.match "@[^/]+/(.+)" name;
    in
    if m == null then name else builtins.head m;

  tarballUrl =
    path: version:
    let
      name = nameOf path;
    in
    "${registry}/${name}/-/${baseNameOf' name}-${version}.tgz";

  # The root package ("") and linked folders have no tarball; a package that already names its
  # source keeps it.
  fromRegistry =
    path: pkg:
    path != ""
    && !(pkg ? resolved)
    && !(pkg.link or false)
    && pkg ? version
    && pkg ? integrity;

  withResolved =
    path: pkg: if fromRegistry path pkg then pkg // { resolved = tarballUrl path pkg.version; } else pkg;
in
lock // { packages = builtins.mapAttrs withResolved lock.packages; }
