// Docker and the swarm: the engine answers at swarm.dockerHost, this node is an active swarm
// manager, the `proxy` network is an attachable overlay, backup-bot-two is deployed, and restic in
// the bot reads its repository (cc-ci forgets test snapshots there).
import { BACKUPBOT_LABEL, testStacksIn, type BackupRepo } from '../backupbot/backup-repo.js';
import type { DockerProbe } from '../docker/host-probe.js';
import type { Outcome } from './check.js';

export const PROXY_NETWORK = 'proxy';

export async function checkEngine(docker: DockerProbe, dockerHost: string): Promise<Outcome> {
  try {
    const e = await docker.engine();
    return { ok: true, detail: `Docker ${e.version} (API ${e.apiVersion}) at ${dockerHost}` };
  } catch (err) {
    return {
      ok: false,
      detail:
        `no Docker engine answers at ${dockerHost}: ` + (err as Error).message.replace(/^Docker Engine at \S+: /, ''),
      fix: 'start dockerd, or set swarm.dockerHost to where it listens (unix:///var/run/docker.sock, tcp://host:2375)',
    };
  }
}

export async function checkSwarm(docker: DockerProbe): Promise<Outcome> {
  const { swarm } = await docker.engine();
  if (swarm.state !== 'active') {
    return {
      ok: false,
      detail: `this node's swarm state is "${swarm.state}"${swarm.error ? ` (${swarm.error})` : ''}`,
      fix: 'docker swarm init (or join this node to the swarm as a manager)',
    };
  }
  if (!swarm.controlAvailable) {
    return {
      ok: false,
      detail: 'this node is in a swarm but is not a manager',
      fix: 'point swarm.dockerHost at a manager, or promote this node (docker node promote)',
    };
  }
  return { ok: true, detail: `active manager (node ${swarm.nodeId.slice(0, 12)})` };
}

export async function checkProxyNetwork(docker: DockerProbe): Promise<Outcome> {
  const n = await docker.network(PROXY_NETWORK);
  const create = `docker network create -d overlay --attachable ${PROXY_NETWORK}`;
  if (n === undefined)
    return { ok: false, detail: `no network "${PROXY_NETWORK}"`, fix: `${create} (then deploy traefik on it)` };
  if (n.driver !== 'overlay' || n.scope !== 'swarm' || !n.attachable) {
    return {
      ok: false,
      detail:
        `"${PROXY_NETWORK}" is a ${n.attachable ? '' : 'non-attachable '}${n.driver} network of scope ${n.scope}, ` +
        'not an attachable swarm overlay',
      fix: `remove it and ${create}`,
    };
  }
  return { ok: true, detail: `"${PROXY_NETWORK}" is an attachable overlay` };
}

export async function checkBackupBot(docker: DockerProbe): Promise<Outcome> {
  const services = await docker.services();
  const labelled = services.filter((s) => s.labels[BACKUPBOT_LABEL] === 'true');
  const fix =
    'deploy backup-bot-two (abra app new backup-bot-two; abra app deploy …): ' +
    `abra finds it by the service label ${BACKUPBOT_LABEL}=true`;
  const running = labelled.find((s) => s.running > 0);
  if (running)
    return {
      ok: true,
      detail: `${running.name} (label ${BACKUPBOT_LABEL}=true), ${running.running}/${running.desired} running`,
    };
  if (labelled.length > 0) {
    return {
      ok: false,
      detail: `${labelled.map((s) => s.name).join(', ')} (label ${BACKUPBOT_LABEL}=true) has no running task`,
      fix: `look at docker service ps ${labelled[0]!.name}`,
    };
  }
  const lookalike = services.find((s) => /backup-?bot/i.test(`${s.name} ${s.image}`));
  if (lookalike) {
    return {
      ok: false,
      detail:
        `${lookalike.name} looks like a backup bot but has no label ${BACKUPBOT_LABEL}=true, ` +
        'so abra will not find it',
      fix,
    };
  }
  return { ok: false, detail: `no service labelled ${BACKUPBOT_LABEL}=true: the backup stage cannot run`, fix };
}

/** restic in the bot reads the repository, so teardown can forget test snapshots there. */
export async function checkBackupRepo(backups: BackupRepo, isTestStack: (stack: string) => boolean): Promise<Outcome> {
  const fix =
    "give the bot's container restic and RESTIC_REPOSITORY and RESTIC_PASSWORD_FILE " +
    '(or the restic_password secret) in its environment; ' +
    "cc-ci forgets each test app's snapshots with restic there";
  try {
    const list = await backups.list();
    if (list === undefined)
      return {
        ok: false,
        detail: `no running service labelled ${BACKUPBOT_LABEL}=true`,
        fix: 'see backup-bot-two above',
      };
    const tests = testStacksIn(list, isTestStack).size;
    return {
      ok: true,
      detail:
        `restic in the bot reads its repository: ${list.length} snapshot${list.length === 1 ? '' : 's'}` +
        (tests > 0 ? `, of ${tests} past test app${tests === 1 ? '' : 's'} (cc-ci janitor forgets those)` : ''),
    };
  } catch (err) {
    return { ok: false, detail: (err as Error).message, fix };
  }
}
