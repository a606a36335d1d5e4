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
// In each group the longest files start first (sequencer below). `vitest run` runs all four
// (npm test); package.json's test:unit and test:e2e pick theirs. Each file's time goes to
// test-results/junit.xml (.ci/run prints them).
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** At most one file: group 0 has two workers, and these must not run beside each other. */
const e2eAlone = ['test/e2e/backup-snapshots.test.ts'];
if (e2eAlone.length > 1) throw new Error('vitest.config.ts: a second e2e-alone file needs a group of one worker');
/** Files at a time in group 1 on the one swarm (CCCI_E2E_WORKERS to try another number). */
const e2eWorkers = Number(process.env.CCCI_E2E_WORKERS ?? 3);

/**
 * Seconds a file took on the 2-core CI machine, two workers in each group (measured; only the
 * order depends on it): in each group the longest files start first, so that no long file
 * starts last and runs alone at the end. An end-to-end file not listed goes first (it may be
 * long); a unit file not listed after the listed ones (most take a second or less).
 */
const seconds: Record<string, number> = {
  'bench/smoke.test.ts': 300,
  'e2e/lifecycle.test.ts': 237,
  'e2e/forge.test.ts': 174,
  'e2e/product.test.ts': 149,
  'e2e/install.test.ts': 129,
  'e2e/serve.test.ts': 111,
  'e2e/demo.test.ts': 107,
  'e2e/signals.test.ts': 73,
  'e2e/dashboard.test.ts': 72,
  'e2e/kill-and-janitor.test.ts': 61,
  'e2e/backup-snapshots.test.ts': 60,
  'e2e/doctor.test.ts': 46,
  'e2e/secrets.test.ts': 35,
  'e2e/concurrent-refs.test.ts': 30,
  'e2e/diagnostics.test.ts': 27,
  'e2e/hostile-input.test.ts': 12,
  'unit/testbed/forge-standin.test.ts': 35,
  'unit/server/card.test.ts': 28,
  'unit/testbed/abra-standin.test.ts': 28,
  'unit/server/dashboard-browser.test.ts': 24,
  'unit/runner/runner-phases.test.ts': 16,
  'unit/docker/converge-wait.test.ts': 11,
  'unit/server/server-pages.test.ts': 9,
  'unit/forge/forge-client.test.ts': 8,
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
          exclude: e2eAlone,
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
    ],
  },
});
