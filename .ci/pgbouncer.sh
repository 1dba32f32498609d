#!/usr/bin/env bash
# Start or stop a PgBouncer in transaction mode (the pool mode of Supabase's port
# 6543) in front of the local PostgreSQL, on a free port, as the postgres user.
#   .ci/pgbouncer.sh start DIR   prints the port; DIR holds config, pid and log
#   .ci/pgbouncer.sh stop DIR
set -euo pipefail
action=$1
dir=$2

case "$action" in
start)
    if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
        echo "installing pgbouncer" >&2
        apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq pgbouncer >&2
    fi
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
server_reset_query =
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
    echo '"postgres" ""' >"$dir/userlist.txt"
    chown -R postgres "$dir"
    # PgBouncer refuses to run as root; -u drops to postgres.
    /usr/sbin/pgbouncer -d -u postgres "$dir/pgbouncer.ini" >&2
    for _ in $(seq 1 50); do
        pg_isready -h 127.0.0.1 -p "$port" -q && break
        sleep 0.2
    done
    pg_isready -h 127.0.0.1 -p "$port" >&2
    echo "$port"
    ;;
stop)
    if [ -f "$dir/pgbouncer.pid" ]; then
        kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do
            [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || break
            sleep 0.1
        done
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
