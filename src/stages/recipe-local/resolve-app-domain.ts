// Preloaded (node --import) into a recipe's own tests: the app's domain resolves to the ingress
// address, so `fetch(process.env.CCCI_BASE_URL)` reaches the app through the ingress with the
// right Host and SNI even where the CI domain has no DNS record (the testbed).
import dns from 'node:dns';

type Callback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const map = new Map(Object.entries(JSON.parse(process.env.CCCI_RESOLVE ?? '{}') as Record<string, string>));
const original = dns.lookup;

function lookup(hostname: string, options: unknown, callback?: Callback): void {
  const cb = (typeof options === 'function' ? options : callback) as Callback;
  const ip = map.get(hostname);
  if (!ip) {
    (original as (...args: unknown[]) => void).call(dns, hostname, options, callback);
    return;
  }
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
  process.nextTick(() => (all ? cb(null, [{ address: ip, family: 4 }]) : cb(null, ip, 4)));
}

(dns as { lookup: unknown }).lookup = lookup;
