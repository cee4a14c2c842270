#!/usr/bin/env bash
# Starts a project-local PostgreSQL cluster if it is not running, installing PostgreSQL
# from Debian's packages when it is missing, and prints its admin URL.
#
#   scripts/postgres.sh test   # throwaway cluster for the test suite (fsync off), port 54329
#   scripts/postgres.sh dev    # cluster for `make run`, port 54330
#   scripts/postgres.sh bench  # durable cluster for `make bench`, port 54331
#   scripts/postgres.sh stop <test|dev>
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
action=start
if [ "${1:-}" = stop ]; then action=stop; shift; fi
flavour="${1:-dev}"
case "$flavour" in
  test) port=54329; extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
  dev)  port=54330; extra="" ;;
  bench) port=54331; extra="" ;;
  *) echo "usage: $0 [stop] test|dev|bench" >&2; exit 2 ;;
esac
data="$root/.local/postgres-$flavour"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ]; then
  echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "postgres.sh: PostgreSQL is missing; install it (apt-get install postgresql)" >&2; exit 1; fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin="$(pg_bin)"

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$action" = stop ]; then
  [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" -m fast stop >&2 || true
  exit 0
fi

# As root, the cluster runs as the postgres user, which must reach the data directory: when
# the checkout lives somewhere it cannot (say, under /root), keep the cluster in /var/tmp.
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$root/.local"
  if ! runuser -u postgres -- test -x "$root/.local"; then
    data="/var/tmp/switchboard-$(printf '%s' "$root" | sha1sum | cut -c1-12)-postgres-$flavour"
  fi
fi

if [ ! -f "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  chmod 700 "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
  as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-instructions >/dev/null
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  # Another cluster (say, another checkout's) may hold the usual port: take the next free one.
  while ! port_free "$port"; do port=$((port + 1)); done
  # shellcheck disable=SC2086 # $extra is a list of options
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=400 $extra" >/dev/null
fi

# The running cluster's port is the fourth line of postmaster.pid.
port="$(sed -n 4p "$data/postmaster.pid")"
echo "postgres://postgres@127.0.0.1:$port/postgres"
