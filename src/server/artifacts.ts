// GET /runs/:id/artifacts/:name: one file of a run's artifacts folder (results.json, junit.xml,
// run.log, screenshots, service logs). The name is a plain file name; the file it resolves to
// (symlinks followed) must be a regular file inside the artifacts folder, or it is not served.
// A FIFO or a device is refused before it is opened (opening a FIFO waits for a writer, and
// would hold one of libuv's few threads for every request), and the open itself does not block.
import { constants, createReadStream } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isArtifactName } from '../model/run-folder.js';
import { runFromParam } from './log-stream.js';
import type { ServerDeps } from './server-deps.js';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
};

export function artifactContentType(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

export function registerArtifacts(app: FastifyInstance, deps: ServerDeps): void {
  app.get<{ Params: { id: string; name: string } }>('/runs/:id/artifacts/:name', async (request, reply) => {
    const { id, name } = request.params;
    const text = (code: number, message: string) =>
      reply.code(code).type('text/plain; charset=utf-8').send(`${message}\n`);
    if (!isArtifactName(name)) return text(400, 'not an artifact name');
    const run = runFromParam(deps, id);
    if (!run) return text(404, 'no such run');
    if (run.prunedAt) return text(410, `run ${run.id}'s artifacts were pruned (config retention) at ${run.prunedAt}`);
    const dir = deps.runs.runFiles(run.id).artifacts;
    let realDir: string;
    let realFile: string;
    try {
      realDir = await realpath(dir);
      realFile = await realpath(join(realDir, name));
    } catch {
      return text(404, `run ${run.id} has no artifact ${name}`);
    }
    if (!realFile.startsWith(realDir + sep)) return text(404, `run ${run.id} has no artifact ${name}`);
    const kind = await lstat(realFile).catch(() => undefined);
    if (!kind?.isFile()) return text(404, `run ${run.id} has no artifact ${name}`);
    // The resolved path, opened without following a symlink swapped in since, and without
    // waiting should a FIFO have been swapped in.
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    const fh = await open(realFile, flags).catch(() => undefined);
    if (!fh) return text(404, `run ${run.id} has no artifact ${name}`);
    const info = await fh.stat().catch(() => undefined);
    if (!info?.isFile()) {
      await fh.close();
      return text(404, `run ${run.id} has no artifact ${name}`);
    }
    const type = artifactContentType(name);
    reply
      .header('content-type', type)
      .header('content-length', info.size)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
      .header('cache-control', 'no-cache');
    if (type === 'application/octet-stream') reply.header('content-disposition', `attachment; filename="${name}"`);
    if (info.size === 0) {
      await fh.close();
      return reply.send('');
    }
    // Up to the size seen now: run.log may still grow while it is sent.
    return reply.send(createReadStream('', { fd: fh, start: 0, end: info.size - 1 }));
  });
}
