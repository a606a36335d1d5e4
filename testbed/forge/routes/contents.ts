// A file's metadata and content, routers/api/v1/repo/file.go GetContents →
// services/repository/files GetContentsOrList: `ref` (branch, tag or commit; default the default
// branch); a file is a ContentsResponse with its content in base64, a folder the list of its
// entries (without content); a path or ref that does not exist is a 404. Reading needs code
// read access (loadRepo's 404 otherwise). The stand-in takes a path of one segment only (a file
// or folder at the root), as its router matches whole segments.
import type { ContentsResponse } from 'gitea-js';
import { git, readBlob, resolveCommit } from '../git.js';
import type { Route } from '../route.js';
import type { Wire } from '../wire.js';
import { loadRepo } from './common.js';

interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'submodule';
  sha: string;
  name: string;
}

/** `git ls-tree` at the root of `commit`, one entry per line: mode type sha<TAB>name. */
async function rootEntries(dir: string, commit: string): Promise<Entry[]> {
  const out = await git(dir, ['ls-tree', '-z', commit]);
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', name = ''] = line.split('\t');
      const [mode = '', kind = '', sha = ''] = meta.split(' ');
      const type = kind === 'tree' ? 'dir' : kind === 'commit' ? 'submodule' : mode === '120000' ? 'symlink' : 'file';
      return { type, sha, name };
    });
}

export const contentRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/:owner/:repo/contents/:filepath',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const ref = ctx.query.get('ref')?.trim() || rc.repo.defaultBranch;
      const name = ctx.params.filepath ?? '';
      const commit = ref.startsWith('-') ? undefined : await resolveCommit(rc.repo.dir, ref);
      const entry = commit ? (await rootEntries(rc.repo.dir, commit)).find((e) => e.name === name) : undefined;
      if (!commit || !entry)
        return ctx.reply.notFound('GetContentsOrList', [`object does not exist [id: , rel_path: ${name}]`]);
      const owner = encodeURIComponent(ctx.core.store.ownerName(rc.repo));
      const base = `${ctx.core.appUrl}api/v1/repos/${owner}/${encodeURIComponent(rc.repo.name)}`;
      const html = `${ctx.core.appUrl}${owner}/${encodeURIComponent(rc.repo.name)}`;
      const describe = async (e: Entry, withContent: boolean): Promise<Wire<ContentsResponse>> => {
        const blob = e.type === 'file' || e.type === 'symlink';
        const raw = blob ? await readBlob(rc.repo.dir, e.sha) : undefined;
        const self = `${base}/contents/${encodeURIComponent(e.name)}?ref=${encodeURIComponent(ref)}`;
        const gitUrl = `${base}/git/${e.type === 'dir' ? 'trees' : 'blobs'}/${e.sha}`;
        const htmlUrl = `${html}/src/branch/${encodeURIComponent(ref)}/${encodeURIComponent(e.name)}`;
        return {
          name: e.name,
          path: e.name,
          sha: e.sha,
          last_commit_sha: commit,
          type: e.type,
          size: raw?.length ?? 0,
          encoding: withContent && e.type === 'file' ? 'base64' : null,
          content: withContent && e.type === 'file' && raw ? raw.toString('base64') : null,
          target: e.type === 'symlink' && raw ? raw.toString('utf8') : null,
          url: self,
          html_url: htmlUrl,
          git_url: gitUrl,
          download_url: blob ? `${html}/raw/branch/${encodeURIComponent(ref)}/${encodeURIComponent(e.name)}` : null,
          submodule_git_url: null,
          _links: { self, git: gitUrl, html: htmlUrl },
        };
      };
      if (entry.type !== 'dir') return ctx.reply.json(200, await describe(entry, true));
      const inner = await rootEntries(rc.repo.dir, entry.sha);
      const list = [];
      for (const e of inner) list.push(await describe({ ...e, name: `${name}/${e.name}` }, false));
      ctx.reply.json(200, list);
    },
  },
];
