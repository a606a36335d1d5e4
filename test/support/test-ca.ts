// Throwaway certificate authorities for tests, made with openssl (EC keys: quick) in a temporary
// folder: a CA, and leaves signed by a CA or by themselves, valid for a number of days from now
// (negative: already expired). `remove()` deletes the folder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface Leaf {
  cert: Buffer;
  key: Buffer;
}

export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'cc-ci-test-ca-'));

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A self-signed CA named `name`: the path of its PEM file (its key beside it, `<name>.key`). */
  makeCa(name: string): string {
    this.openssl(['req', '-x509', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`]);
    return join(this.dir, `${name}.pem`);
  }

  /** The PEM text of a new CA named `name`. */
  caPem(name = 'test CA'): string {
    return readFileSync(this.makeCa(name.replace(/\W+/g, '-')), 'utf8');
  }

  /** A leaf for the `dns` names, signed by the CA named `ca` (made by makeCa) or by itself. */
  makeLeaf(name: string, o: { ca?: string; dns: string[]; days: number; cn?: string }): Leaf {
    const key = `${name}.key`;
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, `subjectAltName=${o.dns.map((d) => `DNS:${d}`).join(',')}\nbasicConstraints=CA:FALSE\n`);
    const subj = ['-subj', `/CN=${o.cn ?? o.dns[0]}`];
    const days = ['-days', String(o.days)];
    if (o.ca === undefined) {
      this.openssl(['req', '-x509', ...ecKey, '-keyout', key, '-out', `${name}.pem`, ...subj, ...days]);
    } else {
      this.openssl(['req', '-new', ...ecKey, '-keyout', key, '-out', `${name}.csr`, ...subj]);
      const ca = ['-CA', `${o.ca}.pem`, '-CAkey', `${o.ca}.key`, '-CAcreateserial'];
      this.openssl(['x509', '-req', '-in', `${name}.csr`, ...ca, ...days, '-extfile', ext, '-out', `${name}.pem`]);
    }
    return { cert: readFileSync(join(this.dir, `${name}.pem`)), key: readFileSync(join(this.dir, key)) };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
