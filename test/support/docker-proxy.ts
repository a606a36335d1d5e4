// A unix-socket proxy in front of the Docker socket that a test can cut and restore: a run
// pointed at it (swarm.dockerHost, and DOCKER_HOST for abra) loses Docker as after a dockerd
// crash, while the apps keep running on the real swarm, and the machine's one dockerd, shared
// with everything else, is never touched.
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export class DockerProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    /** Where the proxy listens; `unix://<path>` is the dockerHost to give cc-ci. */
    readonly path: string,
    private readonly target = '/var/run/docker.sock',
  ) {}

  get dockerHost(): string {
    return `unix://${this.path}`;
  }

  /** Listens (again): Docker answers through the proxy. */
  async open(): Promise<void> {
    if (this.server) return;
    rmSync(this.path, { force: true });
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops every connection: Docker no longer answers (the socket is gone). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
    rmSync(this.path, { force: true });
  }
}
