#!/usr/bin/env bash
# The production topology on one machine: the database on a host of its own (a network
# namespace behind a veth pair), N stateless API instances as separate processes, and nginx in
# front, round-robin. The SPA and the API are reached through the balancer.
#
#   infra/topology.sh up [N]     start DynamoDB Local + N API instances (default 3) + nginx
#   infra/topology.sh down       stop everything and remove the namespace
#   infra/topology.sh db-stop    stop the database (the API answers 503 meanwhile)
#   infra/topology.sh db-start   start it again on the same data
#   infra/topology.sh kill-api I kill -9 API instance I (1-based)
#   infra/topology.sh status     show what runs where
#
# Environment: TOPOLOGY_DIR (state, logs; default /tmp/bookstore-topology), TOPOLOGY_NAME
# (namespace/link names, default bs), LB_PORT (default 8088), BOOKSTORE_BIN (default
# target/release/bookstore, built if missing), DB_MODE (disk: durable -dbPath, default; memory),
# ADMIN_EMAIL / ADMIN_PASSWORD (admin created at start; the password is generated if unset).
# Needs root for the namespace; without it the database runs on 127.0.0.2 instead.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${TOPOLOGY_DIR:-/tmp/bookstore-topology}"
NAME="${TOPOLOGY_NAME:-bs}"
NS="${NAME}-db"
LB_PORT="${LB_PORT:-8088}"
DB_PORT=8000
DB_MODE="${DB_MODE:-disk}"
BIN="${BOOKSTORE_BIN:-$ROOT/target/release/bookstore}"
mkdir -p "$STATE"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A /30 per topology name, so that several topologies can coexist.
subnet() { python3 -c "import zlib,sys; n=zlib.crc32(sys.argv[1].encode())%16000; print(f'10.{77+n//4000}.{(n%4000)//16}.{(n%16)*16}')" "$NAME"; }

db_addr() { cat "$STATE/db-addr"; }

start_db() {
  local dir; dir="$(bash "$ROOT/scripts/dynamodb-local.sh" dir)"
  bash "$ROOT/scripts/dynamodb-local.sh" install
  local storage=(-inMemory)
  if [ "$DB_MODE" = disk ]; then mkdir -p "$STATE/db"; storage=(-dbPath "$STATE/db"); fi
  local cmd=(java "-Djava.library.path=$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar"
             -port "$DB_PORT" "${storage[@]}" -sharedDb -disableTelemetry)
  if [ -e "/var/run/netns/$NS" ]; then
    (cd "$STATE" && exec ip netns exec "$NS" "${cmd[@]}" >"$STATE/db.log" 2>&1) &
  else
    (cd "$STATE" && exec "${cmd[@]}" >"$STATE/db.log" 2>&1) &
  fi
  echo $! >"$STATE/db.pid"
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/$(db_addr | cut -d: -f1)/$DB_PORT") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "the database did not start; see $STATE/db.log" >&2; return 1
}

stop_db() {
  if [ -f "$STATE/db.pid" ]; then
    local pid; pid="$(cat "$STATE/db.pid")"
    # `ip netns exec` and the subshell exec into java: the pid is the database itself.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/db.pid"
  fi
}

setup_network() {
  local base; base="$(subnet)"
  local prefix="${base%.*}" last="${base##*.}"
  local host_ip="$prefix.$((last + 1))" db_ip="$prefix.$((last + 2))"
  if [ "$(id -u)" = 0 ] && ip netns add "$NS" 2>/dev/null; then
    ip link add "${NAME}-h" type veth peer name "${NAME}-d"
    ip link set "${NAME}-d" netns "$NS"
    ip addr add "$host_ip/30" dev "${NAME}-h"
    ip link set "${NAME}-h" up
    ip netns exec "$NS" ip addr add "$db_ip/30" dev "${NAME}-d"
    ip netns exec "$NS" ip link set "${NAME}-d" up
    ip netns exec "$NS" ip link set lo up
    echo "$db_ip:$DB_PORT" >"$STATE/db-addr"
  else
    echo "no network namespace (needs root): the database runs on 127.0.0.2" >&2
    echo "127.0.0.2:$DB_PORT" >"$STATE/db-addr"
  fi
}

api_env() {
  export BOOKSTORE__MODE=production
  export BOOKSTORE__STORE=dynamodb
  export BOOKSTORE__DYNAMODB__TABLE=bookstore
  export BOOKSTORE__DYNAMODB__ENDPOINT="http://$(db_addr)"
  # A local JVM on a shared machine is slower than DynamoDB: bounded, but not too tight.
  export BOOKSTORE__DYNAMODB__ATTEMPT_TIMEOUT_MS="${DB_ATTEMPT_TIMEOUT_MS:-2000}"
  export BOOKSTORE__DYNAMODB__OPERATION_TIMEOUT_MS="${DB_OPERATION_TIMEOUT_MS:-5000}"
  export BOOKSTORE__JWT_SECRET; BOOKSTORE__JWT_SECRET="$(cat "$STATE/jwt-secret")"
  export BOOKSTORE__TRUSTED_PROXIES=1 # nginx sets X-Forwarded-For to its peer
  export BOOKSTORE__DATA_DIR="$STATE/unused-data"
  export BOOKSTORE_LOG_FORMAT=json
}

start_api() {
  local i="$1" port; port="$(free_port)"
  (api_env
   export BOOKSTORE__LISTEN="127.0.0.1:$port"
   export BOOKSTORE__ADMIN__EMAIL="${ADMIN_EMAIL:-admin@bookstore.local}"
   export BOOKSTORE__ADMIN__PASSWORD; BOOKSTORE__ADMIN__PASSWORD="$(cat "$STATE/admin-password")"
   exec "$BIN" serve >"$STATE/api-$i.log" 2>&1) &
  echo $! >"$STATE/api-$i.pid"
  echo "$port" >"$STATE/api-$i.port"
}

wait_ready() {
  local port="$1"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "instance on port $port is not ready" >&2; return 1
}

write_nginx() {
  local n="$1"
  {
    echo "worker_processes 1; pid $STATE/nginx.pid; error_log $STATE/nginx-error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    echo "  upstream bookstore {"
    for i in $(seq 1 "$n"); do echo "    server 127.0.0.1:$(cat "$STATE/api-$i.port") max_fails=1 fail_timeout=2s;"; done
    echo "    keepalive 64;"
    # Idle upstream connections close before the API closes them (keep_alive_secs, 75 s).
    echo "    keepalive_timeout 60s;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$LB_PORT;"
    echo "    client_max_body_size 128k;"
    echo "    location / {"
    echo "      proxy_pass http://bookstore;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_set_header X-Forwarded-For \$remote_addr;"
    # Server-sent events stream through unbuffered.
    echo "      proxy_buffering off;"
    echo "      proxy_read_timeout 1h;"
    # Retry only idempotent requests on another instance; an order is never sent twice.
    echo "      proxy_next_upstream error timeout http_502;"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$STATE/nginx.conf"
}

case "${1:-}" in
  up)
    n="${2:-3}"
    [ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -p bookstore-api)
    command -v nginx >/dev/null || { echo "nginx is missing (apt-get install -y nginx-light)" >&2; exit 1; }
    [ -f "$STATE/jwt-secret" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >"$STATE/jwt-secret"
    [ -f "$STATE/admin-password" ] || { if [ -n "${ADMIN_PASSWORD:-}" ]; then echo "$ADMIN_PASSWORD"; else python3 -c 'import secrets; print(secrets.token_urlsafe(18))'; fi; } >"$STATE/admin-password"
    setup_network
    start_db
    # Loading the catalogue is a bulk job: give it patient timeouts.
    (api_env
     export BOOKSTORE__DYNAMODB__ATTEMPT_TIMEOUT_MS=20000 BOOKSTORE__DYNAMODB__OPERATION_TIMEOUT_MS=60000
     "$BIN" dynamo init >/dev/null && "$BIN" seed >/dev/null)
    for i in $(seq 1 "$n"); do start_api "$i"; done
    for i in $(seq 1 "$n"); do wait_ready "$(cat "$STATE/api-$i.port")"; done
    echo "$n" >"$STATE/instances"
    write_nginx "$n"
    nginx -c "$STATE/nginx.conf" -p "$STATE"
    echo "shop: http://127.0.0.1:$LB_PORT/  database: $(db_addr)  admin: ${ADMIN_EMAIL:-admin@bookstore.local} / $(cat "$STATE/admin-password")"
    ;;
  down)
    [ -f "$STATE/nginx.pid" ] && nginx -c "$STATE/nginx.conf" -p "$STATE" -s quit 2>/dev/null || true
    for f in "$STATE"/api-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
    stop_db
    ip link del "${NAME}-h" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ;;
  db-stop) stop_db ;;
  db-start) start_db ;;
  kill-api) kill -9 "$(cat "$STATE/api-$2.pid")" ;;
  status)
    echo "database $(db_addr) pid $(cat "$STATE/db.pid" 2>/dev/null || echo -)"
    for f in "$STATE"/api-*.port; do i="${f##*/api-}"; i="${i%.port}"; echo "api $i 127.0.0.1:$(cat "$f") pid $(cat "$STATE/api-$i.pid")"; done
    echo "balancer 127.0.0.1:$LB_PORT"
    ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
