// Which abra cc-ci needs: the release its abra contract (docs/abra-contract.md) was recorded
// against. `cc-ci host reconcile` refuses an older one; it never downloads abra.
export const MIN_ABRA_VERSION = '0.13.0';

export const ABRA_INSTALL_HINT =
  `install abra ${MIN_ABRA_VERSION} or newer yourself (https://docs.coopcloud.tech/abra/install/: ` +
  'download the release binary for your platform, check its checksum, put it in /usr/local/bin/abra) ' +
  'and set swarm.abra to its path if it is not on PATH';

/** [major, minor, patch] from `abra version 0.13.0-beta-06a57de` (or a bare `0.13.0`); undefined if none. */
export function parseAbraVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The version is at least `min`; a pre-release of a version counts as that version. */
export function abraVersionAtLeast(text: string, min: string = MIN_ABRA_VERSION): boolean {
  const have = parseAbraVersion(text);
  const want = parseAbraVersion(min);
  if (!have || !want) return false;
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i]! > want[i]!;
  return true;
}
