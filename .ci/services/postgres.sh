#!/usr/bin/env bash
# A PostgreSQL server for the tests of the moderation store (docs/postgres.md), on 127.0.0.1 only.
#
#   bash .ci/services/postgres.sh      prints the path of the file that holds the test database's URL
#
# Idempotent: installs Debian's `postgresql` when it is missing (as root), creates a cluster of its
# own under $TRUSTDESK_PG_DIR (default /tmp/trustdesk-pg) on port $TRUSTDESK_PG_PORT (default 55432),
# starts it unless it runs already, and makes sure the test role and database exist with the
# password kept in the URL file. The URL holds that password, so it is written to a file readable
# by its owner only and never printed, logged or put on a command line; tests read it through
# TRUSTDESK_TEST_DATABASE_URL_FILE.
set -euo pipefail

DIR=${TRUSTDESK_PG_DIR:-/tmp/trustdesk-pg}
PORT=${TRUSTDESK_PG_PORT:-55432}
ROLE=trustdesk_test
DB=trustdesk_test
URL_FILE="$DIR/database-url"

say() { echo "postgres.sh: $*" >&2; }

bindir() {
    # The newest installed server's programs (Debian keeps them out of PATH).
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then
        echo "$d"
    fi
}

BIN=$(bindir)
if [ -z "$BIN" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "PostgreSQL is not installed and this user cannot install it (run as root on Debian, or install postgresql)"
        exit 1
    fi
    say "installing Debian's postgresql ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    BIN=$(bindir)
    [ -n "$BIN" ] || { say "postgresql was installed but its initdb was not found"; exit 1; }
fi

# The server refuses to run as root: as root it runs as Debian's `postgres` user.
if [ "$(id -u)" = 0 ]; then
    OWNER=postgres
    as_owner() { runuser -u "$OWNER" -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

mkdir -p "$DIR"
chmod 755 "$DIR"
DATA="$DIR/data"
SOCKETS="$DIR/run"
mkdir -p "$SOCKETS"
chown "$OWNER" "$SOCKETS"

if [ ! -s "$DATA/PG_VERSION" ]; then
    say "creating a cluster in $DATA ..."
    rm -rf "$DATA"
    mkdir -p "$DATA"
    chown "$OWNER" "$DATA"
    chmod 700 "$DATA"
    # Local socket: the owner only (peer); TCP: passwords (scram-sha-256).
    as_owner "$BIN/initdb" -D "$DATA" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKETS'
max_connections = 200
timezone = 'UTC'
EOF
fi

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "starting the server on 127.0.0.1:$PORT ..."
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$SOCKETS/server.log" -w -t 60 start >/dev/null
fi

# The password lives only in the URL file: made once, kept across runs.
umask 077
if [ -s "$URL_FILE" ]; then
    PASSWORD=$(sed -E 's#^postgresql://[^:]+:([^@]+)@.*#\1#' "$URL_FILE")
else
    PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
fi

# SQL on stdin, so the password is on no command line; psql's :'var' quoting is not needed for
# a hexadecimal password.
as_owner "$BIN/psql" -h "$SOCKETS" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -q >/dev/null <<EOF
SELECT 'CREATE ROLE $ROLE LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE')
\gexec
ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $DB OWNER $ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB')
\gexec
EOF

printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$PASSWORD" "$PORT" "$DB" >"$URL_FILE.tmp"
mv "$URL_FILE.tmp" "$URL_FILE"
say "PostgreSQL for the tests runs on 127.0.0.1:$PORT; set TRUSTDESK_TEST_DATABASE_URL_FILE to the file below"
echo "$URL_FILE"
