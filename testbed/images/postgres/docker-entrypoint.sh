#!/bin/sh
# Minimal stand-in for the official postgres image's entrypoint (cc-ci testbed).
# Honours POSTGRES_PASSWORD / POSTGRES_PASSWORD_FILE / POSTGRES_USER / POSTGRES_DB; initialises the
# cluster on first start into the volume; trust auth only when no password is given.
set -eu
if [ "${1:-postgres}" != "postgres" ]; then exec "$@"; fi
: "${POSTGRES_USER:=postgres}"
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then POSTGRES_PASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"; fi
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
asuser() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pw=$(mktemp); printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"; chown postgres "$pw"
    asuser initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pw"; hostauth=scram-sha-256
  else
    echo "WARNING: no POSTGRES_PASSWORD(_FILE); using trust auth" >&2
    asuser initdb -D "$PGDATA" -U "$POSTGRES_USER" --auth=trust >/dev/null; hostauth=trust
  fi
  echo "host all all all $hostauth" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" | asuser postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "initialised $PGDATA"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA"
