// Run by test/unit/apps/lease.test.ts in a child process, so its writes truly interleave with the
// test's reads: claims app A, prints "ready", then rewrites its lease as fast as it can the given
// number of times (claiming more apps, and now and then starting over with only A), and prints how
// many writes it made.
import { Lease } from '../../src/apps/lease.js';

const [store, runId, appA, count] = process.argv.slice(2) as [string, string, string, string];
const lease = new Lease(store, runId);
lease.claim(appA);
process.stdout.write('ready\n');
const until = new Date(Date.now() + 3_600_000).toISOString();
let writes = 0;
while (writes < Number(count)) {
  if (lease.apps.length >= 64) lease.keep(until, [appA]);
  else lease.claim(`b${writes}-${'x'.repeat(48)}.ci.test`);
  writes++;
}
process.stdout.write(`writes ${writes}\n`);
// Alive (its lease live) until the test has stopped reading.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
