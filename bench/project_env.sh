# Sourced by bench/hot_paths.sh and bench/cpu_per_request.sh: the project as they run it.

# bench_project_env: production settings for a local run, and the throttles on the path
# but with rates that one load generator never reaches (override them to measure throttling).
bench_project_env() {
  export SECRET_KEY=bench-secret-key-0123456789abcdef-0123456789abcdef-0123 \
    SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1,localhost DEBUG=false
  export THROTTLE_RATE_API_KEY=${THROTTLE_RATE_API_KEY:-10000000/min} \
    THROTTLE_RATE_CUSTOMER=${THROTTLE_RATE_CUSTOMER:-10000000/min} \
    THROTTLE_RATE_ANON=${THROTTLE_RATE_ANON:-10000000/min} THROTTLE_RATE_USER=${THROTTLE_RATE_USER:-10000000/min}
  unset DJANGO_SETTINGS_MODULE  # manage.py and config.wsgi pick their own (wsgi: production)
}

# bench_project_seed PYTHON DATABASE_URL KEY_LOG: migrate the database, add 100,000 active
# sessions (tokens 'tok' + 40 digits, as ../shared/bench/side_by_side.sh seeds them), and
# print a new API key (create_api_key's other output goes to KEY_LOG).
bench_project_seed() {
  local py=$1 url=$2 log=$3
  DATABASE_URL=$url "$py" manage.py migrate -v0 --noinput || return 1
  psql -q "$url" -c "INSERT INTO sessions (session_id, customer_id, phone, channel, session_token, status,
      created_at, last_activity, expires_at, metadata)
    SELECT gen_random_uuid(), i::text, '+91'||(9000000000+i)::text, 'kiosk', 'tok'||lpad(i::text, 40, '0'), 'active',
      now(), now(), now()+interval '7 days', '{\"cart\":[1,2,3]}' FROM generate_series(1,100000) i" \
    -c "ANALYZE sessions" >&2 || return 1
  DATABASE_URL=$url "$py" manage.py create_api_key bench 2>"$log" | tail -n 1
}
