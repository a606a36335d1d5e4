// Three projects, run one group after another (sequence.groupOrder):
//   unit       test/unit: files in parallel, short timeouts; nothing here needs the testbed.
//   e2e        test/e2e: two files at a time on the one testbed swarm. Each file has a lane of
//              its own (test/e2e/helpers.ts): its own swarm.domain and store, so one file's
//              janitor never reaps another's apps. Longest files first (sequencer below).
//   e2e-alone  end-to-end files that cannot share the swarm with another file, one at a time
//              after the rest: backup-snapshots.test.ts holds the backup bot's restic repository
//              locked on purpose and then checks that no lock is left, but every run's teardown
//              of every file takes a lock on that one repository.
// `vitest run` runs all three (npm test); `--project unit`, `--project 'e2e*'` pick (package.json).
// Each file's time goes to test-results/junit.xml (.ci/run prints them).
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const e2eAlone = ['test/e2e/backup-snapshots.test.ts'];

/**
 * Seconds each end-to-end file took on the 2-core CI machine with two workers (measured; only
 * the order depends on it). With two workers the longest files go first, so that no long file
 * starts last and runs alone at the end. A file not listed goes first: it may be long.
 */
const e2eSeconds: Record<string, number> = {
  'lifecycle.test.ts': 477, 'forge.test.ts': 314, 'serve.test.ts': 252, 'product.test.ts': 246,
  'demo.test.ts': 201, 'install.test.ts': 191, 'signals.test.ts': 147, 'doctor.test.ts': 125,
  'kill-and-janitor.test.ts': 100, 'dashboard.test.ts': 95, 'secrets.test.ts': 66, 'concurrent-refs.test.ts': 56,
  'diagnostics.test.ts': 44, 'hostile-input.test.ts': 34, 'backup-snapshots.test.ts': 73,
};

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const name = (f: TestSpecification) => f.moduleId.replace(/^.*\/test\/e2e\//, '');
    const seconds = (f: TestSpecification) => (f.project.name.startsWith('e2e') ? e2eSeconds[name(f)] ?? Infinity : 0);
    const group = (f: TestSpecification) => f.project.config.sequence.groupOrder;
    // Array.prototype.sort is stable: within a group, the base order stays among equals.
    return sorted.sort((a, b) => group(a) - group(b) || seconds(b) - seconds(a));
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
          maxWorkers: 2,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-alone',
          include: e2eAlone,
          maxWorkers: 1,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
