// Keeps the better-sqlite3 binary that `npm ci` compiled (about 2 minutes: no network reaches its
// prebuilt downloads) where its installer, prebuild-install, looks for a download it made before:
// <npm cache>/_prebuilds/<the name prebuild-install gives that download's URL>. The next `npm ci`
// on this machine then unpacks it in a second. The key holds the package version, Node's ABI,
// the platform, the C library and the architecture, so a binary is only reused where it was built.
// Usage (from the repository root, after npm ci): node .ci/keep-prebuild.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// prebuild-install is CommonJS and not a dependency of ours: it is loaded from where npm put it.
const require = createRequire(import.meta.url);

const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));
const binary = join(pkgDir, 'build/Release/better_sqlite3.node');
const installer = dirname(require.resolve('prebuild-install/package.json', { paths: [pkgDir] }));
const util = require(join(installer, 'util.js'));
const rc = require(join(installer, 'rc.js'));
const pkg = require(join(pkgDir, 'package.json'));

const url = util.getDownloadUrl({ ...rc(pkg), pkg });
const cached = util.cachedPrebuild(url);
if (existsSync(cached)) {
  console.log(`better-sqlite3 ${pkg.version}: already kept at ${cached}`);
} else if (!existsSync(binary)) {
  console.log(`better-sqlite3 ${pkg.version}: no ${binary} to keep (did npm ci build it?)`);
} else {
  mkdirSync(dirname(cached), { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  // The layout of the project's own release tarballs: build/Release/better_sqlite3.node.
  execFileSync('tar', ['-czf', partial, '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  renameSync(partial, cached);
  console.log(`better-sqlite3 ${pkg.version}: kept the compiled binary as ${cached} (for ${url})`);
}
