// What Node's resolver hook (resolve-app-domain.ts) does for node tests, for Python: written as
// `sitecustomize.py` into a folder on the tests' PYTHONPATH, it makes the app's domain resolve to
// the ingress, so `requests.get(os.environ["CCCI_BASE_URL"])` (or httpx) reaches the app with the
// right Host and SNI where the CI domain has no DNS record. Kept as text: the build copies no .py.
export const PYTHON_RESOLVER = `# Written by cc-ci for a recipe's tests: CCCI_RESOLVE's domains resolve to the ingress.
import json
import os
import socket

_map = json.loads(os.environ.get("CCCI_RESOLVE") or "{}")
_getaddrinfo = socket.getaddrinfo


def _resolve(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    return _getaddrinfo(_map.get(name, host), *args, **kwargs)


socket.getaddrinfo = _resolve
`;
