// startForge: the Gitea-compatible stand-in on 127.0.0.1 — /api/v1 (api.ts), git over HTTP
// (git-http.ts), the control surface under /_testbed/ (control-http.ts), a read-only page per
// pull request (page.ts) — plus the in-process control API. Every request is written to the
// request log.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveApi } from './api.js';
import { ForgeControl } from './control.js';
import { serveControl } from './control-http.js';
import { makeRepoLock, swaggerUrl, type ForgeCore } from './core.js';
import { Faults } from './faults.js';
import { gitTarget, serveGit } from './git-http.js';
import { pullPageTarget, servePullPage } from './page.js';
import { Reply } from './reply.js';
import { RequestLog, type LoggedRequest } from './request-log.js';
import { seedDemo, type SeedResult } from './seed.js';
import { Store } from './store.js';
import type { UserRec } from './types.js';
import { Webhooks } from './webhooks.js';

export interface ForgeOptions {
  /** Default 0 (any free port). The stand-in listens on 127.0.0.1 only. */
  port?: number;
  /**
   * Where bare repositories live (`repos/`, emptied at start: state is not persisted); default
   * a new temporary folder, removed by close().
   */
  dataDir?: string;
  seed?: 'demo';
  /** What GET /api/v1/version reports (default 1.23.8). */
  version?: string;
  /** Model REQUIRE_SIGNIN_VIEW=true: anonymous API calls get 403. */
  requireSignInView?: boolean;
}

export interface Forge {
  /** http://127.0.0.1:<port> (no trailing slash). */
  url: string;
  control: ForgeControl;
  /** What --seed demo created, if asked. */
  seeded?: SeedResult;
  close(): Promise<void>;
}

export async function startForge(opts: ForgeOptions = {}): Promise<Forge> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = path.resolve(opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'forge-standin-'))));
  const reposDir = path.join(dataDir, 'repos');
  // State lives in memory only: repositories left by an earlier run would be orphans.
  await rm(reposDir, { recursive: true, force: true });
  await rm(path.join(dataDir, 'staging'), { recursive: true, force: true });
  await mkdir(reposDir, { recursive: true });

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const core: ForgeCore = {
    store: new Store(),
    appUrl: `http://127.0.0.1:${port}/`,
    dataDir,
    reposDir,
    version: opts.version ?? '1.23.8',
    requireSignInView: opts.requireSignInView ?? false,
    webhooks: new Webhooks(),
    faults: new Faults(),
    log: new RequestLog(),
    withRepoLock: makeRepoLock(),
  };
  const control = new ForgeControl(core);

  server.on('request', (req, res) => {
    const started = Date.now();
    const requestUrl = req.url ?? '/';
    const url = new URL(requestUrl, core.appUrl);
    let kind: LoggedRequest['kind'] = 'other';
    const who: { user: UserRec | null } = { user: null };
    let logged = false;
    const log = (status: number) => {
      if (logged) return;
      logged = true;
      core.log.add({
        at: new Date(started).toISOString(),
        kind,
        method: req.method ?? '',
        path: requestUrl,
        status,
        user: who.user?.login ?? null,
        ms: Date.now() - started,
      });
    };
    res.on('finish', () => log(res.statusCode));
    res.on('close', () => log(res.writableFinished ? res.statusCode : 0));

    const handle = async () => {
      if (url.pathname === '/api/v1' || url.pathname.startsWith('/api/v1/')) {
        kind = 'api';
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'max-age=0, private, must-revalidate, no-transform');
        await serveApi(core, req, new Reply(res, swaggerUrl(core)), requestUrl, who);
        return;
      }
      if (url.pathname.startsWith('/_testbed/')) {
        kind = 'control';
        await serveControl(control, req, res, url);
        return;
      }
      const page = pullPageTarget(url.pathname);
      if (page && (req.method === 'GET' || req.method === 'HEAD')) {
        kind = 'web';
        await servePullPage(core, res, page, req.method === 'HEAD');
        return;
      }
      const target = gitTarget(core, url.pathname);
      if (target) {
        kind = 'git';
        await serveGit(core, req, res, url, target, who);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain;charset=utf-8' }).end('Not found.\n');
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent)
        res
          .writeHead(500, { 'Content-Type': 'text/plain;charset=utf-8' })
          .end(`${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });

  const forge: Forge = {
    url: core.appUrl.replace(/\/$/, ''),
    control,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        core.faults.clear();
      });
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.seed === 'demo') {
    try {
      forge.seeded = await seedDemo(control);
    } catch (err) {
      await forge.close();
      throw err;
    }
  }
  return forge;
}
