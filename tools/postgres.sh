#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, on 127.0.0.1 only (and a unix socket in DIR):
#   tools/postgres.sh start [DIR]   installs Debian's postgresql if absent, creates a cluster in
#                                   DIR (default: a new /tmp/payments-postgres.XXXXXX), starts it
#                                   on a free port, creates the role and database `payments`, and
#                                   prints the database's URL (the only line on stdout)
#   tools/postgres.sh stop DIR      stops that server and removes DIR
# With PAYMENTS_TEST_DATABASE_URL set, `start` prints it and starts nothing.
# The server refuses to run as root: as root, the cluster belongs to the `postgres` user that
# Debian's package creates. fsync is off: the cluster is thrown away after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bindir() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {
  if [ -n "${PAYMENTS_TEST_DATABASE_URL:-}" ]; then echo "$PAYMENTS_TEST_DATABASE_URL"; return; fi
  [ -n "$(bindir)" ] || tools/apt_install.sh postgresql >&2
  local bin dir password port
  bin=$(bindir)
  dir=${1:-$(mktemp -d /tmp/payments-postgres.XXXXXX)}
  mkdir -p "$dir/socket"
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  (umask 077; echo "$password" >"$dir/password")
  [ "$(id -u)" -ne 0 ] || chown -R postgres: "$dir"
  as_owner "$bin/initdb" --pgdata="$dir/data" --username=payments --pwfile="$dir/password" \
    --auth=scram-sha-256 --encoding=UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2; exit 1; }
  for _ in 1 2 3; do  # another process may take the free port first
    port=$(free_port)
    if as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/socket -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
      start >&2; then
      PGPASSWORD=$password "$bin/createdb" --host=127.0.0.1 --port="$port" --username=payments payments
      echo "postgresql://payments:$password@127.0.0.1:$port/payments"
      return
    fi
  done
  tail -n 20 "$dir/server.log" >&2
  exit 1
}

stop() {
  local dir=${1:?usage: tools/postgres.sh stop DIR}
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$(bindir)/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >&2
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: tools/postgres.sh start [DIR] | stop DIR" >&2; exit 2 ;;
esac
