// The tests' own folder: a fresh HOME in the system's temporary folder, owned by the tests' user,
// holding a copy of the recipe checkout (without .git) that the tests run in, and the resolver
// hooks. The tests never need to reach cc-ci's store (which may stay closed to other users), and
// what they write lands in their copy, which is removed with the HOME.
import { chownSync, copyFileSync, cpSync, lchownSync, lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON_RESOLVER } from './python-resolver.js';

export interface TestsHome {
  home: string;
  /** The copy of the recipe checkout: the tests' working folder. */
  work: string;
  /** Node's resolver hook (`--import`). */
  nodeHook: string;
  /** The folder with Python's resolver (`sitecustomize.py`), for PYTHONPATH. */
  pythonPath: string;
  /** With swarm.ingressCa: the tests' environment variables that make them trust it. */
  caEnv: Record<string, string>;
}

/** Where Debian keeps the system's CAs as one file (ca-certificates). */
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export function makeTestsHome(
  recipeDir: string,
  nodeHookSource: string,
  user: { uid: number; gid: number },
  ingressCa?: string,
): TestsHome {
  const home = mkdtempSync(join(tmpdir(), 'cc-ci-recipe-tests-'));
  try {
    return fill(home, recipeDir, nodeHookSource, user, ingressCa);
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

function fill(
  home: string,
  recipeDir: string,
  nodeHookSource: string,
  user: { uid: number; gid: number },
  ingressCa: string | undefined,
): TestsHome {
  const work = join(home, 'recipe');
  // Symlinks are copied as they are, never followed: root must not copy out what they point to.
  cpSync(recipeDir, work, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => src !== join(recipeDir, '.git'),
  });
  // Copied as .mjs, so it loads as ESM anywhere.
  const nodeHook = join(home, 'ccci-resolve-app-domain.mjs');
  copyFileSync(nodeHookSource, nodeHook);
  const pythonPath = join(home, 'ccci-python');
  mkdirSync(pythonPath);
  writeFileSync(join(pythonPath, 'sitecustomize.py'), PYTHON_RESOLVER);
  const caEnv = ingressCa === undefined ? {} : caFiles(home, ingressCa);
  giveTree(home, user);
  return { home, work, nodeHook, pythonPath, caEnv };
}

/**
 * swarm.ingressCa for the tests: alone for Node (NODE_EXTRA_CA_CERTS adds it to Node's own CAs),
 * and with the system's CAs as one bundle for what replaces its CAs with a file: Python's ssl and
 * httpx (SSL_CERT_FILE), requests (REQUESTS_CA_BUNDLE), curl (CURL_CA_BUNDLE).
 */
function caFiles(home: string, ingressCa: string): Record<string, string> {
  const ca = join(home, 'ccci-ingress-ca.pem');
  writeFileSync(ca, ingressCa);
  const system = existsSync(SYSTEM_CA_BUNDLE) ? readFileSync(SYSTEM_CA_BUNDLE, 'utf8') : rootCertificates.join('\n');
  const bundle = join(home, 'ccci-ca-bundle.pem');
  writeFileSync(bundle, `${system.trimEnd()}\n${ingressCa}`);
  return {
    CCCI_INGRESS_CA: ca,
    NODE_EXTRA_CA_CERTS: ca,
    SSL_CERT_FILE: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
  };
}

function giveTree(path: string, user: { uid: number; gid: number }): void {
  if (lstatSync(path).isSymbolicLink()) {
    lchownSync(path, user.uid, user.gid);
    return;
  }
  chownSync(path, user.uid, user.gid);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) giveTree(join(path, name), user);
}
