#!/usr/bin/env bash
# Compares two builds of the shop on the read endpoints, interleaved: both servers run side by
# side (each on its own 10,000-book store) and are measured one at a time, alternating, ROUNDS
# times, so that the machine's drift hits both alike. Prints each round and the medians.
#
#   benches/ab-reads.sh BEFORE_DIR AFTER_DIR   # each a dir with `bookstore` and `bookstore-loadgen`
#                                              # (e.g. <target>/production of two checkouts)
# Knobs: ROUNDS (5), D (seconds per wrk run, 10), ENDPOINTS ("list book search"), WRK_NICE (10).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?BEFORE_DIR}; AFTER=${2:?AFTER_DIR}
ROUNDS=${ROUNDS:-5}; D=${D:-10}; ENDPOINTS=${ENDPOINTS:-list book search}
# wrk at the workers' default nice, as bench.sh runs its clients (see cmd_http there).
WRK_NICE=${WRK_NICE:-10}
OUT=$(mktemp -d /tmp/bookstore-ab.XXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
rps() { awk '/^Requests\/sec:/ {print $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
export BOOKSTORE__RATE_LIMIT__READS_PER_SECOND=1000000000 BOOKSTORE__RATE_LIMIT__READ_BURST=1000000000 \
  BOOKSTORE__RATE_LIMIT__WRITES_PER_SECOND=1000000000 BOOKSTORE__RATE_LIMIT__WRITE_BURST=1000000000 \
  BOOKSTORE__RATE_LIMIT__AUTH_PER_MINUTE=1000000000 BOOKSTORE__RATE_LIMIT__LOGINS_PER_ACCOUNT_PER_MINUTE=1000000000 \
  LOADGEN_ADMIN_EMAIL=admin@loadgen.example LOADGEN_ADMIN_PASSWORD=loadgen-admin-password
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$OUT"/data-*' EXIT
declare -A PORT
for v in before after; do
  dir=$([ $v = before ] && echo "$BEFORE" || echo "$AFTER")
  PORT[$v]=$(free_port); mkdir -p "$OUT/data-$v"
  env BOOKSTORE__LISTEN="127.0.0.1:${PORT[$v]}" BOOKSTORE__DATA_DIR="$OUT/data-$v" \
    BOOKSTORE__JWT_SECRET=bench-secret-that-is-long-enough-0123456789 BOOKSTORE__SEED_DEMO=false \
    BOOKSTORE__ADMIN__EMAIL=$LOADGEN_ADMIN_EMAIL BOOKSTORE__ADMIN__PASSWORD=$LOADGEN_ADMIN_PASSWORD RUST_LOG=warn \
    "$dir/bookstore" serve >"$OUT/server-$v.log" 2>&1 & PIDS+=($!)
  wait_port "${PORT[$v]}"
  "$dir/bookstore-loadgen" dataset --base "http://127.0.0.1:${PORT[$v]}" --books 10000 --customers 50 >/dev/null
  "$dir/bookstore-loadgen" wrk-prep --base "http://127.0.0.1:${PORT[$v]}" --out-dir "$OUT/wrk-$v" >/dev/null
done
measure() { # VARIANT ENDPOINT
  local base="http://127.0.0.1:${PORT[$1]}"
  case $2 in
    list) nice -n "$WRK_NICE" wrk -t2 -c64 -d"${D}s" "$base/api/v1/books?limit=20" | rps ;;
    book) nice -n "$WRK_NICE" wrk -t2 -c64 -d"${D}s" -s benches/scripts/get_book.lua "$base" -- "$OUT/wrk-$1" | rps ;;
    search) nice -n "$WRK_NICE" wrk -t2 -c64 -d"${D}s" "$base/api/v1/books?q=the&limit=20" | rps ;;
  esac
}
for i in $(seq "$ROUNDS"); do
  for v in before after; do
    line="round $i $v"
    for e in $ENDPOINTS; do r=$(measure $v $e); echo "$r" >>"$OUT/$v-$e"; line+=" $e $r"; done
    echo "$line"
  done
done
for e in $ENDPOINTS; do
  b=$(median <"$OUT/before-$e"); a=$(median <"$OUT/after-$e")
  printf '%-7s before %10.0f  after %10.0f  after/before %.3f\n' "$e" "$b" "$a" "$(echo "$a / $b" | bc -l)"
done
