#!/usr/bin/env python3
"""ccci/app:1, the cc-ci testbed's tiny HTTP app (Python stdlib only).

GET /        HTML page titled from env APP_TITLE (default "ccci app")
GET /health  200 "ok"
GET /db      runs psql against DB_HOST / DB_USER / DB_NAME (DB_PORT, default 5432) with the password read from
             the file named in DB_PASSWORD_FILE (or env DB_PASSWORD), and returns the row of
             SELECT value FROM ccci_marker ORDER BY id DESC LIMIT 1
             -> 200 with the value, 404 when the table is empty or missing, 503 when the database fails otherwise.
FAIL_HEALTH=1 makes / and /health answer 503.  PORT (default 8000) is the listening port.
"""
import html
import os
import signal
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

QUERY = "SELECT value FROM ccci_marker ORDER BY id DESC LIMIT 1"


def failing():
    return os.environ.get("FAIL_HEALTH", "") == "1"


def db_password():
    path = os.environ.get("DB_PASSWORD_FILE", "")
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read().rstrip("\r\n")
    return os.environ.get("DB_PASSWORD", "")


def query_marker():
    """Returns (status, body)."""
    env = dict(os.environ)
    try:
        env["PGPASSWORD"] = db_password()
    except OSError as e:
        return 503, f"cannot read DB_PASSWORD_FILE: {e}\n"
    env["PGCONNECT_TIMEOUT"] = "5"
    cmd = [
        "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
        "-h", os.environ.get("DB_HOST", "db"),
        "-p", os.environ.get("DB_PORT", "5432"),
        "-U", os.environ.get("DB_USER", "postgres"),
        "-d", os.environ.get("DB_NAME", "postgres"),
        "-c", QUERY,
    ]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return 503, "psql timed out\n"
    if r.returncode != 0:
        err = r.stderr.strip()
        if "ccci_marker" in err and "does not exist" in err:
            return 404, "no marker (table ccci_marker missing)\n"
        return 503, f"database error: {err}\n"
    out = r.stdout.rstrip("\n")
    if out == "":
        return 404, "no marker (table ccci_marker empty)\n"
    return 200, out + "\n"


class Handler(BaseHTTPRequestHandler):
    server_version = "ccci-app/1"
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="text/plain; charset=utf-8", head=False):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def route(self, head=False):
        path = self.path.split("?", 1)[0]
        if path == "/health":
            if failing():
                return self.send(503, "failing (FAIL_HEALTH=1)\n", head=head)
            return self.send(200, "ok\n", head=head)
        if path == "/":
            if failing():
                return self.send(503, "failing (FAIL_HEALTH=1)\n", head=head)
            title = html.escape(os.environ.get("APP_TITLE", "ccci app"))
            page = (
                "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>" + title + "</title></head>\n"
                "<body><h1>" + title + "</h1><p>ccci/app:1 is running.</p></body>\n</html>\n"
            )
            return self.send(200, page, "text/html; charset=utf-8", head=head)
        if path == "/db":
            status, body = query_marker()
            return self.send(status, body, head=head)
        return self.send(404, "not found\n", head=head)

    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route(head=True)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True

    # As PID 1 in a container a signal without a handler is ignored: exit promptly on TERM/INT.
    def stop(_signum, _frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"ccci-app listening on :{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
