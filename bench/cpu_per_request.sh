#!/usr/bin/env bash
# CPU per request of the project and of the side-by-side's bare FastAPI peer, for the two
# routes they share: where each request's time goes on a machine both saturate.
#   restore  GET /session/restore, a random seeded token per request
#   start    POST /session/start, a new phone per request
# The project: gunicorn config.wsgi -w 2 (production settings, gunicorn.conf.py); the peer:
# ../shared/bench/reference/app.py, gunicorn -w 2 with uvicorn workers. Worker restarts are
# off for both (GUNICORN_MAX_REQUESTS=0: the peer, started from the project's directory as
# the side by side starts it, reads the same gunicorn.conf.py), so every process counted
# lives through the whole round. Each side has its own throw-away database, so its
# PostgreSQL backends are counted apart. Per route and round, project and peer alternating:
# wrk -t2 -c16 for 2 s (warm-up), then DUR seconds measured: req/s; CPU time (user + system,
# /proc/<pid>/stat) of the server's processes and of its database's backends, in ms per
# request, and of the Redis server (the rate-limit counters); and the share of the machine
# left idle (/proc/stat).
# Usage: bench/cpu_per_request.sh [PROJECT_DIR]
# Env: DUR (default 8), ROUNDS (default 2, at most 4), ROUTES (default "restore start"),
#      SHARED (default PROJECT_DIR/../shared), REF_VENV (default /tmp/ref-venv, made with uv as the side by side makes it),
#      REDIS_URL (default redis://127.0.0.1:6379/15).
# Needs wrk, psql, curl, uv; ports 8101-8102 free. Progress to stderr, the table to stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); proj=$(cd "${1:-$here/..}" && pwd)
dur=${DUR:-8}; rounds=${ROUNDS:-2}; shared=$(cd "${SHARED:-$proj/../shared}" && pwd)
ref=$shared/bench/reference; venv=${REF_VENV:-/tmp/ref-venv}
pg=postgres://postgres@127.0.0.1:5432; dbp=bench_cpu_proj_$$; dbr=bench_cpu_peer_$$
P=http://127.0.0.1:8102; R=http://127.0.0.1:8101; proj_pid=; peer_pid=; tmp=$(mktemp -d)
say() { echo "== $*" >&2; }
die() { echo "cpu_per_request: $*" >&2; exit 1; }
((rounds >= 1 && rounds <= 4)) || die "ROUNDS must be 1-4 (each round's new phones need two of start's nine run digits)"
for c in wrk psql curl uv; do command -v $c >/dev/null || die "needs $c"; done
[[ -f $ref/app.py ]] || die "no peer at $ref (set SHARED)"
for u in $P $R; do curl -s -m 2 -o /dev/null $u/ && die "something already listens on ${u#http://}"; done
stop() { # a gunicorn master we started (it stops its workers)
  local pid=$1; [[ -n $pid ]] || return 0; kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done; kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?; ((rc == 0)) || tail -n 15 "$tmp"/*.log >&2 2>/dev/null || true
  stop "$proj_pid"; stop "$peer_pid"; rm -rf "$tmp"
  for d in $dbp $dbr; do psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT; trap 'exit 130' INT TERM
for d in $dbp $dbr; do psql -q "$pg/postgres" -c "CREATE DATABASE $d" || die "no PostgreSQL at $pg"; done

. "$here/project_env.sh"; bench_project_env; export GUNICORN_MAX_REQUESTS=0
# The rate-limit counters in Redis, as `make bench` and production under load keep them
# (REDIS_URL= , empty, keeps them in the database).
export REDIS_URL=${REDIS_URL-redis://127.0.0.1:6379/15}
cd "$proj"; uv sync -q --frozen; py=$(uv run --no-sync python -c 'import sys; print(sys.executable)')
say "project: migrate, seed, API key, gunicorn on ${P#http://}"
key=$(bench_project_seed "$py" "$pg/$dbp" "$tmp/key.log")
DATABASE_URL=$pg/$dbp "$py" -m gunicorn config.wsgi -w 2 -b ${P#http://} --log-level warning >"$tmp/project.log" 2>&1 &
proj_pid=$!
say "peer: venv $venv, schema, seed, gunicorn on ${R#http://}"
[[ -x $venv/bin/python ]] || uv venv -q "$venv"
uv pip install -q --python "$venv/bin/python" -r "$ref/requirements.txt"
psql -q "$pg/$dbr" -f "$ref/schema.sql"
psql -q "$pg/$dbr" -c "INSERT INTO ref_sessions (customer_id, phone, channel, session_token, status, expires_at, metadata)
    SELECT i::text, '+91'||(9000000000+i)::text, 'kiosk', 'tok'||lpad(i::text, 40, '0'), 'active',
           now()+interval '7 days', '{\"cart\":[1,2,3]}' FROM generate_series(1,100000) i" -c "ANALYZE ref_sessions"
REF_DSN="host=127.0.0.1 user=postgres dbname=$dbr" "$venv/bin/gunicorn" --chdir "$ref" \
  -k uvicorn.workers.UvicornWorker -w 2 -b ${R#http://} --log-level warning app:app >"$tmp/peer.log" 2>&1 &
peer_pid=$!
for _ in $(seq 120); do curl -sf -m 2 -o /dev/null $P/healthz && curl -sf -m 2 -o /dev/null $R/docs && break; sleep 0.25; done

ticks() { # CPU ticks (user + system) of the processes given, summed
  local t=0 p; for p in "$@"; do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
idle() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
hz=$(getconf CLK_TCK); cores=$(nproc); redis=$(pgrep -x redis-server | tr '\n' ' ' || true)
measure() { # measure SIDE ROUTE ROUND
  local side=$1 route=$2 round=$3 url=$P master=$proj_pid db=$dbp path lua out n pids pgs c0 c1 g0 g1 r0 r1 i0 i1
  [[ $side == project ]] || { url=$R; master=$peer_pid; db=$dbr; }
  case $route in restore) path=/session/restore lua=restore_many.lua ;; start) path=/session/start lua=start_many.lua ;; esac
  # start's phones carry one digit per wrk run (1-9): 2k-1 for round k's warm-up, 2k for the round
  wrk -t2 -c16 -d2s -s "$ref/$lua" "$url$path" -- "$key" "$((2 * round - 1))" >/dev/null
  pids="$master $(ps -o pid= --ppid "$master" | tr '\n' ' ')"; pgs=$(pgrep -u postgres -f " $db " | tr '\n' ' ' || true)
  c0=$(ticks $pids); g0=$(ticks $pgs); r0=$(ticks $redis); i0=$(idle)
  out=$(wrk -t2 -c16 -d"${dur}s" -s "$ref/$lua" "$url$path" -- "$key" "$((2 * round))")
  c1=$(ticks $pids); g1=$(ticks $pgs); r1=$(ticks $redis); i1=$(idle)
  [[ "$master $(ps -o pid= --ppid "$master" | tr '\n' ' ')" == "$pids" ]] || say "$side: a worker restarted during the round"
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  awk -v s="$side" -v r="$route" -v k="$round" -v n="$n" -v d="$dur" -v hz="$hz" -v cores="$cores" \
    -v c=$((c1 - c0)) -v g=$((g1 - g0)) -v x=$((r1 - r0)) -v i=$((i1 - i0)) -v bad="$(awk '/Non-2xx/ {print $NF}' <<<"$out")" '
    BEGIN {printf "%s %s %s %.1f %.3f %.3f %.3f %.0f %d\n", r, s, k, n / d, c * 1000 / hz / n, g * 1000 / hz / n, x * 1000 / hz / n, 100 * i / (hz * d * cores), bad}' \
    | tee -a "$tmp/results" | awk '{printf "== %s %s round %s: %s req/s; CPU per request: server %s ms, PostgreSQL %s ms, Redis %s ms; %s%% idle, %s non-2xx\n", $2, $1, $3, $4, $5, $6, $7, $8, $9}' >&2
}
for round in $(seq "$rounds"); do
  for route in ${ROUTES:-restore start}; do measure project $route $round; measure peer $route $round; done
done
awk -v dur="$dur" -v rounds="$rounds" '
  {k = $1 " " $2; rps[k] = rps[k] (rps[k] == "" ? "" : ", ") $4; srv[k] = srv[k] (srv[k] == "" ? "" : ", ") $5
   db[k] = db[k] (db[k] == "" ? "" : ", ") $6; rd[k] = rd[k] (rd[k] == "" ? "" : ", ") $7
   idl[k] = idl[k] (idl[k] == "" ? "" : ", ") $8; if (!(k in seen)) {seen[k]; order[++m] = k}}
  END {
    printf "\nCPU per request, wrk -t2 -c16, %s rounds of %s s, worker restarts off; one figure per round\n", rounds, dur
    f = "%-16s | %-16s | %-18s | %-18s | %-14s | %s\n"
    printf f, "route, side", "req/s", "server, ms CPU", "PostgreSQL, ms CPU", "Redis, ms CPU", "machine idle %"
    for (j = 1; j <= m; j++) { k = order[j]; printf f, k, rps[k], srv[k], db[k], rd[k], idl[k] }
  }' "$tmp/results"
