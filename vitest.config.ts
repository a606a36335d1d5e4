// Three projects in two groups (sequence.groupOrder), one group after the other:
//   group 0, two workers:
//     unit       test/unit: files in parallel, short timeouts; none of them touches the swarm.
//     e2e-alone  the end-to-end file that cannot share the testbed with another end-to-end
//                file: backup-snapshots.test.ts holds the backup bot's restic repository locked
//                on purpose and then checks that no lock is left, but every run's teardown in
//                every file takes a lock on that one repository. It runs beside the unit files,
//                which never touch the testbed, so it takes one worker while they take the other.
//   group 1, three workers:
//     e2e        test/e2e: files side by side on the one testbed swarm. Each file has a lane of
//                its own (test/e2e/helpers.ts): its own swarm.domain and store, so one file's
//                janitor never reaps another's apps.
//     bench      test/bench/smoke.test.ts: every benchmark once in smoke mode, two at a time
//                (bench/smoke-all.ts). It starts first (the longest file) and takes one worker
//                while two end-to-end files take the others; all of them mostly wait on the swarm.
//   group 2, one worker:
//     e2e-last   the end-to-end file that takes the testbed's ingress away on purpose: host-reconcile.test.ts
//                removes the traefik stack and has `cc-ci host reconcile` deploy it again, so it runs
//                after every other file, alone.
// In each group the longest files start first (sequencer below). `vitest run` runs all four
// (npm test); package.json's test:unit and test:e2e pick theirs. Each file's time goes to
// test-results/junit.xml (.ci/run prints them).
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** At most one file: group 0 has two workers, and these must not run beside each other. */
const e2eAlone = ['test/e2e/backup-snapshots.test.ts'];
if (e2eAlone.length > 1) throw new Error('vitest.config.ts: a second e2e-alone file needs a group of one worker');
/** Runs after everything else, alone (group 2). */
const e2eLast = ['test/e2e/host-reconcile.test.ts'];
/** Files at a time in group 1 on the one swarm (CCCI_E2E_WORKERS to try another number). */
const e2eWorkers = Number(process.env.CCCI_E2E_WORKERS ?? 3);

/**
 * Seconds a file took on the 2-core CI machine, in .ci/run (measured; only the
 * order depends on it): in each group the longest files start first, so that no long file
 * starts last and runs alone at the end. An end-to-end file not listed goes first (it may be
 * long); a unit file not listed after the listed ones (most take a second or less).
 */
const seconds: Record<string, number> = {
  'bench/smoke.test.ts': 202,
  'e2e/lifecycle.test.ts': 244,
  'e2e/forge.test.ts': 214,
  'e2e/serve.test.ts': 139,
  'e2e/install.test.ts': 126,
  'e2e/product.test.ts': 117,
  'e2e/signals.test.ts': 97,
  'e2e/demo.test.ts': 130,
  'e2e/push-runs.test.ts': 120,
  'e2e/drone.test.ts': 113,
  'e2e/https.test.ts': 110,
  'e2e/recipe-spec.test.ts': 65,
  'e2e/prune.test.ts': 32,
  'e2e/host-reconcile.test.ts': 60,
  'e2e/reap-after-docker.test.ts': 76,
  'e2e/dashboard.test.ts': 71,
  'e2e/kill-and-janitor.test.ts': 59,
  'e2e/backup-snapshots.test.ts': 49,
  'e2e/diagnostics.test.ts': 48,
  'e2e/doctor.test.ts': 46,
  'e2e/secrets.test.ts': 45,
  'e2e/concurrent-refs.test.ts': 25,
  'e2e/hostile-input.test.ts': 20,
  'unit/testbed/abra-standin.test.ts': 15,
  'unit/server/card.test.ts': 13,
  'unit/docker/converge-wait.test.ts': 11,
  'unit/server/dashboard-browser.test.ts': 9,
  'unit/testbed/forge-standin.test.ts': 8,
  'unit/runner/runner-phases.test.ts': 6,
  'unit/forge/forge-client.test.ts': 5,
  'unit/server/server-limits.test.ts': 5,
  'unit/model/blame.test.ts': 5,
  'unit/server/server-pages.test.ts': 4,
  'unit/cli.test.ts': 4,
};

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const expected = (f: TestSpecification) =>
      seconds[f.moduleId.replace(/^.*\/test\//, '')] ?? (f.project.name.startsWith('e2e') ? Infinity : 0);
    const group = (f: TestSpecification) => f.project.config.sequence.groupOrder;
    // Array.prototype.sort is stable: within a group, the base order stays among equals.
    return sorted.sort((a, b) => group(a) - group(b) || expected(b) - expected(a));
  }
}

export default defineConfig({
  test: {
    reporters: ['default', ['junit', { outputFile: 'test-results/junit.xml' }]],
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          maxWorkers: 2,
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...e2eAlone, ...e2eLast],
          // Each test waits on real convergence on a real swarm: the timeouts are generous.
          maxWorkers: e2eWorkers,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'bench',
          include: ['test/bench/**/*.test.ts'],
          // As many as the e2e project's (a group has one number); there is one file.
          maxWorkers: e2eWorkers,
          testTimeout: 900_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-alone',
          include: e2eAlone,
          // As many as the unit project's (a group has one number); there is one file.
          maxWorkers: 2,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e-last',
          include: e2eLast,
          maxWorkers: 1,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
