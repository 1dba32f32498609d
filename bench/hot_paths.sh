#!/usr/bin/env bash
# The hot routes the side-by-side peer does not have, measured the same way:
#   POST /session/update        random seeded token, a small JSON Merge Patch
#   POST /api/v1/interactions/  OpenAI usage object, fresh request id, new session every 10th
# gunicorn config.wsgi -w 2 (production settings, gunicorn.conf.py when present) on a
# throw-away database; wrk -t2 -c16, a 2 s warm-up, then two rounds of DUR seconds each.
# Usage: bench/hot_paths.sh [PROJECT_DIR]   Env: DUR (default 10), PROJ_GUNICORN_ARGS, PORT (8102).
# Progress to stderr; the table and a "result:" line to stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); proj=$(cd "${1:-$here/..}" && pwd); dur=${DUR:-10}
pg=postgres://postgres@127.0.0.1:5432; db=bench_hot_$$; port=${PORT:-8102}; P=http://127.0.0.1:$port
pid=; tmp=$(mktemp -d)
say() { echo "== $*" >&2; }
die() { echo "hot_paths: $*" >&2; exit 1; }
for c in wrk psql curl uv; do command -v $c >/dev/null || die "needs $c"; done
curl -s -m 2 -o /dev/null $P/ && die "something already listens on ${P#http://}"
la=$(cut -d" " -f1 /proc/loadavg)
psql -q "$pg/postgres" -c "CREATE DATABASE $db" || die "no PostgreSQL at $pg"
cleanup() {
  local rc=$?; ((rc == 0)) || tail -n 15 "$tmp"/*.log >&2 2>/dev/null || true
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done; fi
  rm -rf "$tmp"; psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT; trap 'exit 130' INT TERM

. "$here/project_env.sh"; bench_project_env; export DATABASE_URL=$pg/$db
cd "$proj"; uv sync -q --frozen; py=$(uv run --no-sync python -c 'import sys; print(sys.executable)')
say "project $proj: migrate, seed, API key, gunicorn on $port"
key=$(bench_project_seed "$py" "$DATABASE_URL" "$tmp/key.log")
"$py" -m gunicorn config.wsgi -w 2 ${PROJ_GUNICORN_ARGS:-} -b ${P#http://} --log-level warning >"$tmp/project.log" 2>&1 & pid=$!
for _ in $(seq 120); do curl -sf -m 2 -o /dev/null $P/healthz && break; sleep 0.25; done

measure() { # measure NAME PATH LUA
  local name=$1 path=$2 lua=$here/wrk/$3 round d out
  for round in 1 2 3; do
    d=$dur; ((round > 1)) || d=2
    out=$(wrk -t2 -c16 -d${d}s --latency -s "$lua" "$P$path" -- "$key" $round | awk '
      function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v ~ /m$/ ? v * 60000 : v * 1000 }
      /Requests\/sec/ {r = $2} / 50%/ {p50 = ms($2)} / 99%/ {p99 = ms($2)}
      /Non-2xx/ {e += $NF} /Socket errors/ {e += $4 + $6 + $8 + $10}
      END {printf "%.1f %.2f %.2f %d", r, p50, p99, e}')
    echo "$name $round $out" >>"$tmp/results"
    say "$name $([[ $round == 1 ]] && echo warm-up || echo round $((round - 1))) (${d}s): $out  (req/s p50 p99 ms, non-2xx)"
  done
}
measure update /session/update update_many.lua
measure interactions /api/v1/interactions/ interactions_many.lua
rows=$(psql -qtA "$pg/$db" -c "SELECT (SELECT count(*) FROM ai_interactions) || ' interactions, ' || (SELECT count(*) FROM usage_logs) || ' usage rows, ' || (SELECT count(*) FROM ai_sessions) || ' AI sessions'")
rss=$(ps -o pid=,rss= --ppid "$pid" | awk '{printf "%s%.1f MB (pid %s)", (NR > 1 ? ", " : ""), $2 / 1024, $1}')

awk -v dur="$dur" -v la="$la" -v rss="$rss" -v rows="$rows" '
  $2 > 1 {rps[$1] += $3 / 2; p50[$1] += $4 / 2; p99[$1] += $5 / 2; one[$1, $2] = $3}
  {bad[$1] += $6}
  END {
    printf "\nhot paths, wrk -t2 -c16, 2 rounds of %s s (means); p50/p99 in ms; load average before: %s\n", dur, la
    printf "%-13s | %8s %7s %7s %7s | %s\n", "route", "req/s", "p50", "p99", "non-2xx", "req/s (round 1, 2)"
    split("update interactions", names, " ")
    for (i = 1; i <= 2; i++) { n = names[i]
      printf "%-13s | %8.1f %7.2f %7.2f %7d | %.1f, %.1f\n", n, rps[n], p50[n], p99[n], bad[n], one[n, 2], one[n, 3] }
    printf "rows written: %s\nRSS after the run, project workers: %s\n", rows, rss
    printf "result: update_rps=%.1f interactions_rps=%.1f non2xx=%d\n", rps["update"], rps["interactions"], bad["update"] + bad["interactions"]
  }' "$tmp/results"
