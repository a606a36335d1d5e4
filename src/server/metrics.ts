// Prometheus metrics (DESIGN §3.7, `GET /metrics`) with prom-client on a registry of cc-ci's own
// (never the global one, so tests and a second server in one process do not collide), plus
// Node's default process metrics. Run counts are read from the store on each scrape; durations
// are observed from the runs' events as the scheduler reports them.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunControl } from '../queue/run-control.js';
import { runStates, type RunState } from '../model/run.js';
import type { RunStore } from '../queue/store.js';
import type { DiskUse, VolumeUse } from './disk-use.js';
import type { AlertPosts } from '../schedule/alert-posts.js';
import type { Metrics, ServerDeps } from './server-deps.js';

// Runs take minutes (a quick run under one, a full one with parallel apps 5–15); stages seconds to minutes.
const RUN_BUCKETS = [30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400];
const STAGE_BUCKETS = [1, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 900, 1800, 3600];

export function createMetrics(opts: {
  store: RunStore;
  runs: RunControl;
  disk?: DiskUse;
  minFreeBytes?: number;
  /** The alerts' POSTs (config alerts:), when serve sends them. */
  alerts?: Pick<AlertPosts, 'sentAndFailed'>;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // A scrape calls every collect in one synchronous pass (Registry.metrics maps over the
  // metrics before its first await): one store query serves the three run gauges, and the
  // next scrape queries again.
  let counts: Record<RunState, number> | undefined;
  const countByState = (): Record<RunState, number> => {
    if (!counts) {
      counts = opts.store.countByState();
      queueMicrotask(() => {
        counts = undefined;
      });
    }
    return counts;
  };

  new Gauge({
    name: 'ccci_runs',
    help: 'Runs in the store by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const c = countByState();
      for (const state of runStates) this.set({ state }, c[state] ?? 0);
    },
  });
  new Gauge({
    name: 'ccci_queue_depth',
    help: 'Runs waiting in the queue.',
    registers: [registry],
    collect() {
      this.set(countByState().queued ?? 0);
    },
  });
  new Gauge({
    name: 'ccci_runs_running',
    help: 'Runs going on now.',
    registers: [registry],
    collect() {
      this.set(countByState().running ?? 0);
    },
  });
  new Gauge({
    name: 'ccci_runs_running_by_host',
    help: "Runs going on now, by executor and runner host (Drone's machine; local for this host).",
    labelNames: ['executor', 'host'],
    registers: [registry],
    collect() {
      this.reset();
      for (const where of opts.runs.runningWhere?.() ?? []) this.inc(where);
    },
  });
  // Read from the store on each scrape, so it survives a restart and counts what really ended so.
  new Counter({
    name: 'ccci_runs_errored_total',
    help: "Runs that ended errored (cc-ci's or the host's problem), by error code.",
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { code, count } of opts.store.erroredByCode()) this.inc({ code }, count);
    },
  });
  const alerts = opts.alerts;
  if (alerts) {
    const alertCounter = (name: string, help: string, pick: 'sent' | 'failed') =>
      new Counter({
        name,
        help,
        labelNames: ['target'],
        registers: [registry],
        collect() {
          this.reset();
          for (const [target, n] of Object.entries(alerts.sentAndFailed()[pick])) this.inc({ target }, n);
        },
      });
    alertCounter('ccci_alerts_sent_total', 'Alert POSTs the target took (alerts.webhook, alerts.operator).', 'sent');
    alertCounter('ccci_alerts_failed_total', 'Alert POSTs that failed after their tries, by target.', 'failed');
  }
  if (opts.disk) diskGauges(registry, opts.disk, opts.minFreeBytes);
  const runDuration = new Histogram({
    name: 'ccci_run_duration_seconds',
    help: 'Wall time of finished runs (results.durationMs), by verdict.',
    labelNames: ['verdict'],
    buckets: RUN_BUCKETS,
    registers: [registry],
  });
  const stageDuration = new Histogram({
    name: 'ccci_stage_duration_seconds',
    help: 'Wall time of finished stages, by stage and status.',
    labelNames: ['stage', 'status'],
    buckets: STAGE_BUCKETS,
    registers: [registry],
  });
  const reaped = new Counter({
    name: 'ccci_janitor_reaped_total',
    help: 'Test apps the janitor tore down.',
    registers: [registry],
  });

  const stop = opts.runs.onChange(({ event }) => {
    if (event?.type === 'stage-finished' && typeof event.result.durationMs === 'number') {
      stageDuration.observe({ stage: event.stage, status: event.result.status }, event.result.durationMs / 1000);
    } else if (event?.type === 'run-finished' && typeof event.results.durationMs === 'number') {
      runDuration.observe({ verdict: event.results.verdict }, event.results.durationMs / 1000);
    }
  });

  return {
    registry,
    reaped(n) {
      if (Number.isFinite(n) && n > 0) reaped.inc(n);
    },
    close: stop,
  };
}

/** The store's size and the free space beside it and Docker's data root (a sample at most a minute old). */
function diskGauges(registry: Registry, disk: DiskUse, minFreeBytes: number | undefined): void {
  new Gauge({
    name: 'ccci_store_size_bytes',
    help: "Disk space cc-ci's store takes (run folders, logs, artifacts, the database).",
    registers: [registry],
    async collect() {
      const { storeSizeBytes } = await disk.sample();
      if (storeSizeBytes !== undefined) this.set(storeSizeBytes);
    },
  });
  const volumeGauge = (name: string, help: string, pick: (v: VolumeUse) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['volume', 'path'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const v of (await disk.sample()).volumes) {
          const value = pick(v);
          if (v.path !== undefined && value !== undefined) this.set({ volume: v.volume, path: v.path }, value);
        }
      },
    });
  volumeGauge(
    'ccci_filesystem_free_bytes',
    "Free space (for cc-ci's user) on the filesystem of the store (volume=store) and Docker's data root (docker).",
    (v) => v.freeBytes,
  );
  volumeGauge('ccci_filesystem_size_bytes', 'Size of those filesystems.', (v) => v.totalBytes);
  if (minFreeBytes !== undefined) {
    new Gauge({
      name: 'ccci_min_free_bytes',
      help: 'dashboard.minFreeSpace: below it /healthz is degraded and the overview warns.',
      registers: [registry],
    }).set(minFreeBytes);
  }
}

export function registerMetrics(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(deps.metrics.registry.contentType).send(body);
  });
}
