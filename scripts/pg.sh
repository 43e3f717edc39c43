#!/usr/bin/env bash
# A throw-away PostgreSQL 15 + PostGIS 3 cluster on loopback, for the PostgreSQL test run and benchmarks.
#   bash scripts/pg.sh install   # Debian packages (root)
#   bash scripts/pg.sh start     # initdb in a temp dir, own port and socket dir; prints the SQLAlchemy URL
#   bash scripts/pg.sh stop      # stop it and delete the directory
# NESTWATCH_PG_DIR (default /tmp/nestwatch-pg) and NESTWATCH_PG_PORT (default 55432) choose where.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
DIR=${NESTWATCH_PG_DIR:-/tmp/nestwatch-pg}
PORT=${NESTWATCH_PG_PORT:-55432}

as_owner() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  install)
    if [ ! -x "$PGBIN/initdb" ] || [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
      apt-get update -qq && apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null
    fi
    ;;
  start)
    if [ -e "$DIR/data/postmaster.pid" ]; then as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true; fi
    rm -rf "$DIR" && mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
    as_owner "$PGBIN/initdb" -D "$DIR/data" -U nestwatch --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" >/dev/null
    # every database made from template1 (each test's) gets PostGIS without asking
    "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U nestwatch -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
    "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U nestwatch -d postgres -c "CREATE DATABASE nestwatch" >/dev/null
    echo "postgresql+psycopg://nestwatch@127.0.0.1:$PORT/nestwatch"
    ;;
  stop)
    if [ -e "$DIR/data/postmaster.pid" ]; then as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
