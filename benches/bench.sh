#!/usr/bin/env bash
# Reproduces every figure of benches/README.md, one command each:
#
#   benches/bench.sh ceiling        # the ceiling alone: minimal actix-web JSON endpoint
#   benches/bench.sh http           # embedded store: GET book, GET list, POST orders vs ceiling
#   benches/bench.sh tpcw [MIX]     # TPC-W mix (default shopping), SHOPPERS (64) shoppers, think 0
#                                   # (HASH_THREADS, HASH_COST, WORKER_NICE, LOADGEN_NICE: see shop_settings)
#   benches/bench.sh soak [MIX]     # SOAK_SECS (1800) of a TPC-W mix (default ordering) on BOOKS_SOAK
#                                   # (100000) books: drift, p99 stalls, memory, bytes per order
#                                   # (NO_VERIFY=1 skips the consistency check, long after 1M orders)
#   benches/bench.sh outbox         # events through the outbox to a webhook receiver, both back ends:
#                                   # events/s and latency from each order's transaction to arrival
#   benches/bench.sh store          # YCSB A/B/C/F on the Store interface, both back ends
#   benches/bench.sh dynamo         # DynamoDB Local: API vs raw SDK (GetItem; the paid checkout's calls)
#   benches/bench.sh calls          # store calls per paid order by operation, both back ends (/metrics)
#   benches/bench.sh scaling        # 1/2/3 API instances behind a balancer (needs infra/topology.sh),
#                                   # with each process's CPU
#   benches/bench.sh micro          # criterion: a book page's JSON, token verification, store reads,
#                                   # password hashes
#
# Each figure is measured REPEAT times (default 3) with the ceiling measured in the same session,
# and the medians are printed. Needs wrk (see benches/README.md), Java 17 + npm for DynamoDB Local.
# Knobs (environment): REPEAT, DURATION (s per wrk run, default 15), CONNS (64), BOOKS (10000),
# CUSTOMERS (200), SESSION (TPC-W mean interactions per user session, 128; 0 = sign in at every
# Customer Registration), OUT (results directory, default /tmp/bookstore-bench), KEEP_DATA (1: keep
# the shops' data directories).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# The `production` profile (fat LTO, one codegen unit), as the container image builds it.
REL="$CARGO_TARGET_DIR/production"
REPEAT="${REPEAT:-3}"
DURATION="${DURATION:-15}"
CONNS="${CONNS:-64}"
BOOKS="${BOOKS:-10000}"
CUSTOMERS="${CUSTOMERS:-200}"
OUT="${OUT:-/tmp/bookstore-bench}"
ADMIN_EMAIL=admin@loadgen.example
ADMIN_PASSWORD=loadgen-admin-password
# All the load comes from one address: lift the per-client rate limits (per instance).
export BOOKSTORE__RATE_LIMIT__AUTH_PER_MINUTE=1000000000 BOOKSTORE__RATE_LIMIT__WRITES_PER_SECOND=1000000000 \
  BOOKSTORE__RATE_LIMIT__WRITE_BURST=1000000000 BOOKSTORE__RATE_LIMIT__READS_PER_SECOND=1000000000 \
  BOOKSTORE__RATE_LIMIT__READ_BURST=1000000000 BOOKSTORE__RATE_LIMIT__LOGINS_PER_ACCOUNT_PER_MINUTE=1000000000
export LOADGEN_ADMIN_EMAIL=$ADMIN_EMAIL LOADGEN_ADMIN_PASSWORD=$ADMIN_PASSWORD
mkdir -p "$OUT"
PIDS=()
# The shops' data directories (~1 GB after an orders run) go too, unless KEEP_DATA=1; the
# logs, JSON and charts stay in $OUT.
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_DATA:-}" ] || rm -rf "$OUT"/data-*
}
trap cleanup EXIT

build() {
  command -v wrk >/dev/null || { echo "wrk is missing: see benches/README.md" >&2; exit 1; }
  # SKIP_BUILD=1: measure the production binaries already built.
  [ -z "${SKIP_BUILD:-}" ] || return 0
  cargo build --profile production -q -p bookstore-api -p bookstore-loadgen -p bookstore-ceiling
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; return 1; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
rps() { awk '/^Requests\/sec:/ {print $2}'; }
# CPU ticks (user + system) a process has used so far; 0 once it is gone.
# (No pid, e.g. no DynamoDB Local in this run: 0, not /proc//stat, which is /proc/stat.)
ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

start_ceiling() {
  CEIL_PORT=$(free_port)
  "$REL/bookstore-ceiling" "127.0.0.1:$CEIL_PORT" 2>/dev/null & PIDS+=($!)
  wait_port "$CEIL_PORT"
}

measure_ceiling() { wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$CEIL_PORT/" | tee -a "$OUT/wrk.log" | rps; }

# The payment provider every shop of a run uses: localstripe (PyPI), a Stripe emulator, started
# on first use. Checkout authorizes each order's card there (a Python process: in the
# checkout-heavy mixes it, not the shop, can be the limit; its CPU is on this machine too).
start_payments() {
  [ -z "${PAY_PORT:-}" ] || return 0
  bash scripts/payment-server.sh install
  PAY_PORT=$(free_port)
  # The emulator's collector is frozen every 5 s (cycles it makes are kept, which a benchmark's
  # minutes can afford): its full collections grow with the payments it holds, and in a soak
  # they paused every checkout for seconds (benches/README.md). Real providers do not.
  mkdir -p "$OUT/pysite"
  # Each full collection goes to payments.log ("gc2 <epoch s> <pause s>") to check that.
  cat >"$OUT/pysite/sitecustomize.py" <<'PY'
import gc, sys, threading, time
def _freeze():
    while True:
        time.sleep(5)
        gc.freeze()
threading.Thread(target=_freeze, daemon=True).start()
_t = [0.0]
def _log(phase, info):
    if info["generation"] == 2:
        if phase == "start":
            _t[0] = time.time()
        else:
            print("gc2 %.3f %.3f" % (time.time(), time.time() - _t[0]), file=sys.stderr, flush=True)
gc.callbacks.append(_log)
PY
  # It stands in for the provider's own machines, as the load generator does for the shoppers':
  # it runs at the load generator's nice, so that it takes no more of the cores than they do.
  PYTHONPATH="$OUT/pysite" nice -n "${LOADGEN_NICE:-0}" "$(bash scripts/payment-server.sh bin)" --port "$PAY_PORT" --from-scratch \
    >"$OUT/payments.log" 2>&1 & PIDS+=($!)
  PAY_PID=$!
  wait_port "$PAY_PORT"
  export BOOKSTORE__PAYMENTS__API_URL="http://127.0.0.1:$PAY_PORT" \
    BOOKSTORE__PAYMENTS__SECRET_KEY=sk_test_bench BOOKSTORE__PAYMENTS__PUBLISHABLE_KEY=pk_test_bench
}

# start_shop NAME [env...]: the production-profile server on a fresh data dir, admin bootstrapped.
# Its log goes to $OUT/server-NAME.log, filtered by SERVER_LOG (RUST_LOG's syntax; default warn),
# e.g. SERVER_LOG=warn,fjall=debug to see the store's flushes, rotations and write halts.
start_shop() {
  local name=$1; shift
  start_payments
  SHOP_PORT=$(free_port)
  SHOP_DIR="$OUT/data-$name"
  rm -rf "$SHOP_DIR"; mkdir -p "$SHOP_DIR"
  env BOOKSTORE__LISTEN="127.0.0.1:$SHOP_PORT" BOOKSTORE__DATA_DIR="$SHOP_DIR" \
    BOOKSTORE__JWT_SECRET=bench-secret-that-is-long-enough-0123456789 BOOKSTORE__SEED_DEMO=false \
    BOOKSTORE__ADMIN__EMAIL=$ADMIN_EMAIL BOOKSTORE__ADMIN__PASSWORD=$ADMIN_PASSWORD \
    RUST_LOG="${SERVER_LOG:-warn}" "$@" "$REL/bookstore" serve >"$OUT/server-$name.log" 2>&1 & PIDS+=($!)
  SHOP_PID=$!
  wait_port "$SHOP_PORT"
  BASE="http://127.0.0.1:$SHOP_PORT"
}

load_dataset() {
  "$REL/bookstore-loadgen" dataset --base "$BASE" --books "$1" --customers "$CUSTOMERS" >"$OUT/dataset.json"
  "$REL/bookstore-loadgen" wrk-prep --base "$BASE" --out-dir "$OUT/wrk"
}

start_dynamo() {
  bash scripts/dynamodb-local.sh install
  local dir; dir=$(bash scripts/dynamodb-local.sh dir)
  DDB_PORT=$(free_port)
  mkdir -p "$OUT/ddb"
  # Like the provider, it stands in for a service on its own machines: at the load generator's nice.
  (cd "$OUT/ddb" && exec nice -n "${LOADGEN_NICE:-0}" java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
    -port "$DDB_PORT" -inMemory -sharedDb -disableTelemetry >/dev/null 2>&1) & PIDS+=($!)
  DDB_PID=$!
  wait_port "$DDB_PORT"
  DDB="http://127.0.0.1:$DDB_PORT"
}

# new_table PREFIX: a fresh table on DynamoDB Local, made as the shop makes it; prints its name.
new_table() {
  local t="$1-$(date +%s)"
  BOOKSTORE__STORE=dynamodb BOOKSTORE__DYNAMODB__TABLE=$t BOOKSTORE__DYNAMODB__ENDPOINT=$DDB \
    "$REL/bookstore" dynamo init >/dev/null
  echo "$t"
}

report_row() { printf '%-34s %12s %10s\n' "$@" | tee -a "$OUT/summary.txt"; }

cmd_ceiling() {
  build; start_ceiling
  for i in $(seq "$REPEAT"); do measure_ceiling; done | tee "$OUT/ceiling.txt"
  report_row "ceiling (median req/s)" "$(median <"$OUT/ceiling.txt")" ""
}

# The shop's figures run their client (wrk, the raw SDK comparator) at the workers' nice, like
# the TPC-W load generator: a client at nice 0 on the same cores preempts the nice-10 workers at
# every response, and the book read measured 0.81x of itself at equal nice (benches/README.md).
# The ceiling's server and wrk are both at nice 0, the same relation.
cmd_http() {
  shop_settings
  build; start_ceiling; start_shop embedded env "${SHOP_ENV[@]}"
  load_dataset "$BOOKS"
  : >"$OUT/c.txt"; : >"$OUT/book.txt"; : >"$OUT/list.txt"; : >"$OUT/order.txt"
  # Reads first, then orders: each order run adds ~150,000 orders, and the store compacts them
  # in the background for a while after; reads measured during that are a different figure.
  for i in $(seq "$REPEAT"); do
    measure_ceiling >>"$OUT/c.txt"
    nice -n "$LOADGEN_NICE" wrk -t2 -c"$CONNS" -d"${DURATION}s" -s benches/scripts/get_book.lua "$BASE" -- "$OUT/wrk" | tee -a "$OUT/wrk.log" | rps >>"$OUT/book.txt"
    nice -n "$LOADGEN_NICE" wrk -t2 -c"$CONNS" -d"${DURATION}s" "$BASE/api/v1/books?limit=20" | tee -a "$OUT/wrk.log" | rps >>"$OUT/list.txt"
    echo "run $i: ceiling $(tail -1 "$OUT/c.txt") book $(tail -1 "$OUT/book.txt") list $(tail -1 "$OUT/list.txt")"
  done
  # Every order is paid at the provider (two calls to localstripe, one Python process on the
  # same cores), which bounds the rate: the CPU each process spent per order says what the
  # shop's own share costs, and how many orders/s the cores would carry for the shop alone.
  : >"$OUT/order-cpu.txt"
  for i in $(seq "$REPEAT"); do
    local rate
    cpu_start
    nice -n "$LOADGEN_NICE" wrk -t2 -c"$CONNS" -d"${DURATION}s" -s benches/scripts/post_order.lua "$BASE" -- "$OUT/wrk" | tee -a "$OUT/wrk.log" | rps >>"$OUT/order.txt"
    rate=$(tail -1 "$OUT/order.txt")
    # Shop, provider, and the orders/s the shop's CPU per order would allow on all the cores.
    cpu_per_op "$rate" | awk -v n="$(nproc)" '$1 == "n/a" || $1 <= 0 { print "n/a n/a n/a"; next }
      { printf "%s %s %.0f\n", $1, $3, n * 1e6 / $1 }' >>"$OUT/order-cpu.txt"
    echo "orders run $i: $rate/s; CPU per order (µs), shop and provider, and orders/s of the shop alone on $(nproc) cores: $(tail -1 "$OUT/order-cpu.txt")"
  done
  local c b l o
  c=$(median <"$OUT/c.txt"); b=$(median <"$OUT/book.txt"); l=$(median <"$OUT/list.txt"); o=$(median <"$OUT/order.txt")
  report_row "figure" "median/s" "ratio"
  report_row "ceiling {\"ok\":true}" "$c" "1.00"
  report_row "GET /books/{id} (embedded)" "$b" "$(awk -v a="$b" -v c="$c" 'BEGIN{printf "%.2f", a/c}')"
  report_row "GET /books?limit=20 (embedded)" "$l" "$(awk -v a="$l" -v c="$c" 'BEGIN{printf "%.2f", a/c}')"
  report_row "POST /orders (embedded)" "$o" "$(awk -v a="$o" -v c="$c" 'BEGIN{printf "%.2f", a/c}')"
  report_row "  shop CPU per order (µs)" "$(cut -d' ' -f1 "$OUT/order-cpu.txt" | median)" ""
  report_row "  provider CPU per order (µs)" "$(cut -d' ' -f2 "$OUT/order-cpu.txt" | median)" ""
  report_row "  orders/s, the shop alone" "$(cut -d' ' -f3 "$OUT/order-cpu.txt" | median)" ""
  grep -h "Non-2xx" "$OUT/wrk.log" || true
}

# The TPC-W runs measure the shop's default settings (one hashing thread per core, ahead of
# the request workers at nice 10; OWASP's 7 MiB x 5 Argon2id). WORKER_NICE, HASH_THREADS and
# HASH_COST (KiB x passes, e.g. 19456x2) override them. The load generator, which on a real
# test bed has its own machine, runs at the workers' nice (LOADGEN_NICE), so that it takes no
# more of the cores than the workers do.
shop_settings() {
  LOADGEN_NICE=${LOADGEN_NICE-${WORKER_NICE:-10}}
  SHOP_ENV=()
  [ -z "${WORKER_NICE:-}" ] || SHOP_ENV+=(BOOKSTORE__WORKER_NICE="$WORKER_NICE")
  [ -z "${HASH_THREADS:-}" ] || SHOP_ENV+=(BOOKSTORE__PASSWORD_HASH_THREADS="$HASH_THREADS")
  [ -z "${HASH_COST:-}" ] || SHOP_ENV+=(BOOKSTORE__PASSWORD_HASH_MEMORY_KIB="${HASH_COST%x*}" BOOKSTORE__PASSWORD_HASH_PASSES="${HASH_COST#*x}")
}

cmd_tpcw() {
  local mix=${1:-shopping}
  shop_settings
  build; start_ceiling
  start_shop embedded env "${SHOP_ENV[@]}"
  echo "worker_nice ${WORKER_NICE:-default}, password_hash_threads ${HASH_THREADS:-default}, hash cost ${HASH_COST:-default} (KiB x passes), load generator nice $LOADGEN_NICE" | tee -a "$OUT/summary.txt"
  load_dataset "$BOOKS"
  : >"$OUT/c.txt"; : >"$OUT/wips.txt"
  for i in $(seq "$REPEAT"); do
    measure_ceiling >>"$OUT/c.txt"
    nice -n "$LOADGEN_NICE" "$REL/bookstore-loadgen" run --base "$BASE" --mix "$mix" --shoppers "${SHOPPERS:-64}" --customers "$CUSTOMERS" \
      --duration-secs "${TPCW_SECS:-60}" --warmup-secs 5 --think-ms 0 --seed "$i" \
      --session-interactions "${SESSION:-128}" \
      --json "$OUT/tpcw-$mix-$i.json" --chart "$OUT/tpcw-$mix-$i.svg" | tee "$OUT/tpcw-$mix-$i.txt"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wips"])' "$OUT/tpcw-$mix-$i.json" >>"$OUT/wips.txt"
  done
  report_row "ceiling {\"ok\":true}" "$(median <"$OUT/c.txt")" ""
  report_row "TPC-W $mix WIPS (median)" "$(median <"$OUT/wips.txt")" ""
  python3 - "$OUT" "$mix" "$REPEAT" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys, statistics
out, mix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = [json.load(open(f"{out}/tpcw-{mix}-{i}.json")) for i in range(1, n + 1)]
names = sorted(set().union(*[r["interactions"].keys() for r in runs]))
print(f"{'interaction':<24} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'per s':>8}  (medians of {n} runs)")
for k in names:
    med = lambda f: statistics.median(r["interactions"].get(k, {}).get(f, 0) for r in runs)
    print(f"{k:<24} {med('p50_ms'):>8.2f} {med('p90_ms'):>8.2f} {med('p99_ms'):>8.2f} {med('per_second'):>8.1f}")
print("consistency:", all(r["consistency"]["ok"] for r in runs), "errors:", [r["errors"] for r in runs])
PY
}

# A long ordering run on a large catalogue: does the shop stay as fast as it started? Samples
# the server's memory and data directory every 10 s beside the load generator's per-second
# timeline; benches/soak.py sums up (first vs last five minutes, p99 per second against the
# run's median, memory after warm-up, bytes on disk per order) and draws the chart.
cmd_soak() {
  local mix=${1:-ordering} secs=${SOAK_SECS:-1800}
  shop_settings
  build; start_ceiling
  start_shop soak env "${SHOP_ENV[@]}"
  load_dataset "${BOOKS_SOAK:-100000}"
  measure_ceiling >"$OUT/c.txt"
  local samples="$OUT/soak-samples.csv"
  echo "second,rss_kib,data_bytes" >"$samples"
  (
    t0=$(date +%s)
    while kill -0 "$SHOP_PID" 2>/dev/null; do
      echo "$(( $(date +%s) - t0 )),$(awk '/^VmRSS/ {print $2}' "/proc/$SHOP_PID/status"),$(du -sb "$SHOP_DIR" | cut -f1)" >>"$samples"
      sleep 10
    done
  ) & local sampler=$!
  # PERF=1: the whole machine sampled (49 Hz, wall-clock timestamps) for soak_perf.py, which
  # shows what ran in the slowest seconds.
  local perf_pid=""
  if [ -n "${PERF:-}" ]; then
    perf record -q -a -k CLOCK_REALTIME -F "${PERF_HZ:-49}" -o "$OUT/soak.perf.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  nice -n "$LOADGEN_NICE" "$REL/bookstore-loadgen" run --base "$BASE" --mix "$mix" --shoppers "${SHOPPERS:-64}" --customers "$CUSTOMERS" \
    --duration-secs "$secs" --warmup-secs 5 --think-ms 0 --seed 1 --session-interactions "${SESSION:-128}" \
    --json "$OUT/soak.json" --chart "$OUT/soak-timeline.svg" ${NO_VERIFY:+--no-verify} | tee "$OUT/soak.txt"
  kill "$sampler" 2>/dev/null || true
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
  report_row "ceiling {\"ok\":true}" "$(cat "$OUT/c.txt")" ""
  python3 benches/soak.py "$OUT/soak.json" "$samples" "$OUT/soak-memory.svg" | tee -a "$OUT/summary.txt"
  if [ -n "$perf_pid" ]; then python3 benches/soak_perf.py "$OUT/soak.json" "$OUT/soak.perf.data" | tee -a "$OUT/summary.txt"; fi
}

# Store calls per paid order, by operation, on both back ends: /metrics's call counts around
# DURATION seconds of paid orders (and the dispatcher's work for them, 5 s more), less the
# idle rate measured for 10 s before (the dispatcher's polls), over the orders placed.
cmd_calls() {
  build; start_dynamo
  local table c="${DDB_CONNS:-16}"
  table=$(new_table bench)
  for be in embedded dynamo; do
    if [ "$be" = dynamo ]; then
      start_shop dynamo env BOOKSTORE__STORE=dynamodb BOOKSTORE__DYNAMODB__TABLE="$table" BOOKSTORE__DYNAMODB__ENDPOINT="$DDB"
    else
      start_shop embedded
    fi
    load_dataset "${DDB_BOOKS:-2000}"
    wrk -t2 -c"$c" -d5s -s benches/scripts/post_order.lua "$BASE" -- "$OUT/wrk" >/dev/null
    sleep 5
    curl -s "$BASE/metrics" >"$OUT/m0-$be.txt"; sleep 10
    curl -s "$BASE/metrics" >"$OUT/m1-$be.txt"
    wrk -t2 -c"$c" -d"${DURATION}s" -s benches/scripts/post_order.lua "$BASE" -- "$OUT/wrk" >"$OUT/wrk-calls-$be.txt"
    sleep 5
    curl -s "$BASE/metrics" >"$OUT/m2-$be.txt"
    python3 - "$OUT" "$be" "$DURATION" <<'PY' | tee -a "$OUT/summary.txt"
import re, sys
out, be, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
def calls(path):
    pat = re.compile(r'^(?:bookstore_)?store_call_duration_seconds_count\{op="(\w+)"\} (\S+)$')
    return {m[1]: float(m[2]) for m in map(pat.match, open(path)) if m}
m0, m1, m2 = (calls(f"{out}/m{i}-{be}.txt") for i in range(3))
wrk = open(f"{out}/wrk-calls-{be}.txt").read()
done = int(re.search(r"(\d+) requests in", wrk)[1])
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
orders = done - (int(bad[1]) if bad else 0)
idle = {op: (m1.get(op, 0) - m0.get(op, 0)) / 10 for op in m2}
load = secs + 5
per = {op: (m2[op] - m1.get(op, 0) - idle[op] * load) / max(orders, 1) for op in m2 if op != "ping"}
print(f"{be}: {orders} paid orders in {secs:.0f} s; store calls per order: "
      + ", ".join(f"{op} {v:.2f}" for op, v in per.items()) + f"; total {sum(per.values()):.2f}"
      + "; idle " + ", ".join(f"{op} {v:.1f}/s" for op, v in idle.items() if op != "ping"))
PY
    kill "$SHOP_PID"; wait "$SHOP_PID" 2>/dev/null || true
  done
}

cmd_store() {
  build; start_dynamo
  for i in $(seq "$REPEAT"); do
    "$REL/bookstore-loadgen" store --backend embedded --records "${RECORDS:-100000}" --duration-secs "$DURATION" --json "$OUT/store-embedded-$i.json"
    "$REL/bookstore-loadgen" store --backend dynamodb --endpoint "$DDB" --records "${DDB_RECORDS:-10000}" --duration-secs "$DURATION" --json "$OUT/store-dynamodb-$i.json"
  done
  python3 - "$OUT" "$REPEAT" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys, statistics
out, n = sys.argv[1], int(sys.argv[2])
for be in ["embedded", "dynamodb"]:
    runs = [json.load(open(f"{out}/store-{be}-{i}.json")) for i in range(1, n + 1)]
    print(f"{be}: {runs[0]['config']['records']} records, concurrency {runs[0]['config']['concurrency']}, load {statistics.median(r['load_per_sec'] for r in runs):.0f} puts/s")
    for j, w in enumerate(runs[0]["workloads"]):
        ops = statistics.median(r["workloads"][j]["ops_per_sec"] for r in runs)
        lat = "; ".join(f"{k} p50 {statistics.median(r['workloads'][j]['latency'][k]['p50_ms'] for r in runs):.2f} p90 {statistics.median(r['workloads'][j]['latency'][k]['p90_ms'] for r in runs):.2f} p99 {statistics.median(r['workloads'][j]['latency'][k]['p99_ms'] for r in runs):.2f}" for k in w["latency"])
        print(f"  {w['workload']}: {ops:>9.0f} ops/s  {lat} ms")
PY
}

cmd_outbox() {
  build; start_dynamo
  local orders="${ORDERS:-5000}" table
  table=$(new_table outbox)
  for be in embedded dynamodb; do
    if [ "$be" = embedded ]; then
      start_shop "outbox-$be" env BOOKSTORE__WEBHOOKS__ALLOW_PRIVATE_TARGETS=true
    else
      start_shop "outbox-$be" env BOOKSTORE__WEBHOOKS__ALLOW_PRIVATE_TARGETS=true BOOKSTORE__STORE=dynamodb \
        BOOKSTORE__DYNAMODB__TABLE="$table" BOOKSTORE__DYNAMODB__ENDPOINT="$DDB"
    fi
    for i in $(seq "$REPEAT"); do
      "$REL/bookstore-loadgen" outbox --base "$BASE" --orders "$orders" --concurrency "${CONCURRENCY:-32}" \
        --json "$OUT/outbox-$be-$i.json" >/dev/null
      # One order at a time: the latency of an event when no backlog waits before it.
      "$REL/bookstore-loadgen" outbox --base "$BASE" --orders 300 --concurrency 1 \
        --json "$OUT/outbox-$be-single-$i.json" >/dev/null
    done
    kill "$SHOP_PID"; wait "$SHOP_PID" 2>/dev/null || true
  done
  python3 - "$OUT" "$REPEAT" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys, statistics
out, n = sys.argv[1], int(sys.argv[2])
for be in ["embedded", "dynamodb"]:
    runs = [json.load(open(f"{out}/outbox-{be}-{i}.json")) for i in range(1, n + 1)]
    m = lambda f: statistics.median(f(r) for r in runs)
    print(f"outbox {be}: {runs[0]['orders']} orders x {n}, {m(lambda r: r['orders_per_sec']):.0f} orders/s acknowledged, "
          f"{m(lambda r: r['events_per_sec']):.0f} events/s delivered, {min(r['events'] for r in runs)}/{runs[0]['orders']} events "
          f"(duplicates {max(r['duplicates'] for r in runs)}), latency p50 {m(lambda r: r['latency']['p50_ms']):.1f} "
          f"p90 {m(lambda r: r['latency']['p90_ms']):.1f} p99 {m(lambda r: r['latency']['p99_ms']):.1f} ms (a backlog under saturation)")
    runs = [json.load(open(f"{out}/outbox-{be}-single-{i}.json")) for i in range(1, n + 1)]
    print(f"outbox {be}, one order at a time: {m(lambda r: r['orders_per_sec']):.0f} orders/s, {min(r['events'] for r in runs)}/300 events, "
          f"latency p50 {m(lambda r: r['latency']['p50_ms']):.1f} p90 {m(lambda r: r['latency']['p90_ms']):.1f} "
          f"p99 {m(lambda r: r['latency']['p99_ms']):.1f} ms")
PY
}

# CPU each process spent per operation over a timed run: cpu_start before it, then
# cpu_per_op RATE (operations/s over DURATION) prints the shop's, DynamoDB Local's and the
# provider's µs per operation, and the machine's idle µs per operation (what nobody used).
cpu_start() { CPU0=("$(ticks "$SHOP_PID")" "$(ticks "${DDB_PID:-}")" "$(ticks "$PAY_PID")" "$(awk '/^cpu / {print $5}' /proc/stat)"); }
cpu_per_op() {
  local now=("$(ticks "$SHOP_PID")" "$(ticks "${DDB_PID:-}")" "$(ticks "$PAY_PID")" "$(awk '/^cpu / {print $5}' /proc/stat)")
  awk -v r="$1" -v d="$DURATION" -v hz="$(getconf CLK_TCK)" -v a=$((now[0] - CPU0[0])) -v b=$((now[1] - CPU0[1])) \
    -v p=$((now[2] - CPU0[2])) -v i=$((now[3] - CPU0[3])) \
    'BEGIN { o = r * d; if (o <= 0) { print "n/a n/a n/a n/a"; exit } f = 1e6 / hz / o; printf "%.0f %.0f %.0f %.0f\n", a * f, b * f, p * f, i * f }'
}

cmd_dynamo() {
  shop_settings
  build; start_ceiling; start_dynamo
  local table
  table=$(new_table bench)
  start_shop dynamo env "${SHOP_ENV[@]}" BOOKSTORE__STORE=dynamodb BOOKSTORE__DYNAMODB__TABLE="$table" BOOKSTORE__DYNAMODB__ENDPOINT="$DDB" \
    BOOKSTORE__DYNAMODB__ATTEMPT_TIMEOUT_MS=5000 BOOKSTORE__DYNAMODB__OPERATION_TIMEOUT_MS=15000
  load_dataset "${DDB_BOOKS:-2000}"
  : >"$OUT/c.txt"; : >"$OUT/dbook.txt"; : >"$OUT/rget.txt"; : >"$OUT/dorder.txt"; : >"$OUT/rtx.txt"; : >"$OUT/rpaid.txt"
  : >"$OUT/cpu-api.txt"; : >"$OUT/cpu-raw.txt"
  local c="${DDB_CONNS:-16}"
  # Unmeasured warm-up of every path, through both clients: DynamoDB Local's JVM compiles its
  # read and transaction paths under load, and until then (the first ~15 s of reads after the
  # dataset's writes) it spends ~1.5x the CPU per request, which penalised whichever figure
  # came first (the API's book read: 0.65x in a first round against 0.85-0.88x after).
  nice -n "$LOADGEN_NICE" wrk -t2 -c"$c" -d10s -s benches/scripts/get_book.lua "$BASE" -- "$OUT/wrk" >/dev/null
  nice -n "$LOADGEN_NICE" wrk -t2 -c"$c" -d5s -s benches/scripts/post_order.lua "$BASE" -- "$OUT/wrk" >/dev/null
  # The paid checkout's comparator calls the shop's provider as the shop does.
  local pay="--provider http://127.0.0.1:$PAY_PORT"
  for op in get checkout checkout-paid; do
    nice -n "$LOADGEN_NICE" "$REL/bookstore-loadgen" dynamo-raw --endpoint "$DDB" --table "$table" --base "$BASE" --op "$op" --concurrency "$c" \
      $pay --duration-secs 5 >/dev/null
  done
  for i in $(seq "$REPEAT"); do
    measure_ceiling >>"$OUT/c.txt"
    nice -n "$LOADGEN_NICE" wrk -t2 -c"$c" -d"${DURATION}s" -s benches/scripts/get_book.lua "$BASE" -- "$OUT/wrk" | tee -a "$OUT/wrk.log" | rps >>"$OUT/dbook.txt"
    nice -n "$LOADGEN_NICE" "$REL/bookstore-loadgen" dynamo-raw --endpoint "$DDB" --table "$table" --base "$BASE" --op get --concurrency "$c" --duration-secs "$DURATION" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["ops_per_sec"])' >>"$OUT/rget.txt"
    cpu_start
    nice -n "$LOADGEN_NICE" wrk -t2 -c"$c" -d"${DURATION}s" -s benches/scripts/post_order.lua "$BASE" -- "$OUT/wrk" | tee -a "$OUT/wrk.log" | rps >>"$OUT/dorder.txt"
    cpu_per_op "$(tail -1 "$OUT/dorder.txt")" >>"$OUT/cpu-api.txt"
    nice -n "$LOADGEN_NICE" "$REL/bookstore-loadgen" dynamo-raw --endpoint "$DDB" --table "$table" --base "$BASE" --op checkout --concurrency "$c" --duration-secs "$DURATION" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["ops_per_sec"])' >>"$OUT/rtx.txt"
    cpu_start
    nice -n "$LOADGEN_NICE" "$REL/bookstore-loadgen" dynamo-raw --endpoint "$DDB" --table "$table" --base "$BASE" --op checkout-paid --concurrency "$c" --duration-secs "$DURATION" \
      $pay | python3 -c 'import json,sys; print(json.load(sys.stdin)["ops_per_sec"])' >>"$OUT/rpaid.txt"
    cpu_per_op "$(tail -1 "$OUT/rpaid.txt")" >>"$OUT/cpu-raw.txt"
    echo "run $i: api get $(tail -1 "$OUT/dbook.txt") raw get $(tail -1 "$OUT/rget.txt") api order $(tail -1 "$OUT/dorder.txt") raw tx $(tail -1 "$OUT/rtx.txt") raw paid $(tail -1 "$OUT/rpaid.txt")"
    echo "  CPU µs per paid order (shop, DynamoDB Local, provider; the machine's idle): API $(tail -1 "$OUT/cpu-api.txt"), raw $(tail -1 "$OUT/cpu-raw.txt")"
  done
  local ab rg ao rt rp
  ab=$(median <"$OUT/dbook.txt"); rg=$(median <"$OUT/rget.txt"); ao=$(median <"$OUT/dorder.txt"); rt=$(median <"$OUT/rtx.txt"); rp=$(median <"$OUT/rpaid.txt")
  report_row "ceiling {\"ok\":true}" "$(median <"$OUT/c.txt")" ""
  report_row "DynamoDB Local, concurrency $c" "median/s" "ratio"
  report_row "raw GetItem" "$rg" "1.00"
  report_row "API GET /books/{id}" "$ab" "$(awk -v a="$ab" -v c="$rg" 'BEGIN{printf "%.2f", a/c}')"
  report_row "raw TransactWriteItems (3 items)" "$rt" ""
  report_row "raw paid checkout (API's calls)" "$rp" "1.00"
  report_row "API POST /orders (paid)" "$ao" "$(awk -v a="$ao" -v c="$rp" 'BEGIN{printf "%.2f", a/c}')"
  local k
  for k in 1 2 3 4; do
    report_row "  CPU µs per order: $(echo shop dynamodb provider idle | cut -d' ' -f$k)" \
      "$(cut -d' ' -f$k "$OUT/cpu-api.txt" | median)" "raw $(cut -d' ' -f$k "$OUT/cpu-raw.txt" | median)"
  done
  # Each round measures the API and the raw client back to back: the ratio within a round
  # pairs figures taken under the same machine load, the ratio of medians may pair two rounds.
  report_row "per round: API get / raw get" "$(paste -d' ' "$OUT/dbook.txt" "$OUT/rget.txt" | awk '{printf "%s%.2f", (NR>1?" ":""), $1/$2}')" \
    "median $(paste -d' ' "$OUT/dbook.txt" "$OUT/rget.txt" | awk '{print $1/$2}' | median | awk '{printf "%.2f", $1}')"
  report_row "per round: API order / raw paid" "$(paste -d' ' "$OUT/dorder.txt" "$OUT/rpaid.txt" | awk '{printf "%s%.2f", (NR>1?" ":""), $1/$2}')" \
    "median $(paste -d' ' "$OUT/dorder.txt" "$OUT/rpaid.txt" | awk '{print $1/$2}' | median | awk '{printf "%.2f", $1}')"
  grep -h "Non-2xx" "$OUT/wrk.log" || true
}

cmd_scaling() {
  if [ ! -x infra/topology.sh ]; then
    echo "infra/topology.sh does not exist: the scaling figure is skipped" | tee -a "$OUT/summary.txt"; return 0
  fi
  build
  command -v nginx >/dev/null || apt-get install -y -q nginx-light >/dev/null
  local lb; lb=$(free_port)
  : >"$OUT/scaling.txt"
  for n in 1 2 3; do
    export TOPOLOGY_DIR="$OUT/topology-$n" TOPOLOGY_NAME="bsbench" DB_MODE=memory LB_PORT=$lb \
      ADMIN_EMAIL=$ADMIN_EMAIL ADMIN_PASSWORD=$ADMIN_PASSWORD BOOKSTORE_BIN="$REL/bookstore"
    rm -rf "$TOPOLOGY_DIR"
    infra/topology.sh up "$n" >/dev/null
    BASE="http://127.0.0.1:$lb"
    "$REL/bookstore-loadgen" dataset --base "$BASE" --books "${DDB_BOOKS:-2000}" --customers 64 >/dev/null
    "$REL/bookstore-loadgen" wrk-prep --base "$BASE" --out-dir "$OUT/wrk-topology"
    local w=() g=() secs=${TPCW_SECS:-30}
    for i in $(seq "$REPEAT"); do
      g+=("$(wrk -t2 -c"${DDB_CONNS:-16}" -d"${DURATION}s" -s benches/scripts/get_book.lua "$BASE" -- "$OUT/wrk-topology" | rps)")
      "$REL/bookstore-loadgen" run --base "$BASE" --mix shopping --shoppers 64 --customers 64 --quiet \
        --duration-secs "$secs" --warmup-secs 5 --seed "$i" --json "$OUT/scaling-$n-$i.json" >"$OUT/scaling-$n-$i.txt" &
      local lg=$!
      # CPU of each process over the measured part of the run (after its 5 s warm-up, ending
      # a second before its last), in % of one core.
      sleep 5
      local win=$((secs > 8 ? secs - 6 : 2))
      local procs=("java:$(cat "$TOPOLOGY_DIR/db.pid")") before=() k
      for k in $(seq "$n"); do procs+=("api-$k:$(cat "$TOPOLOGY_DIR/api-$k.pid")"); done
      for k in $(pgrep -P "$(cat "$TOPOLOGY_DIR/nginx.pid")"); do procs+=("nginx:$k"); done
      procs+=("loadgen:$lg")
      for k in "${procs[@]}"; do before+=("$(ticks "${k#*:}")"); done
      sleep "$win"
      local cpu="" j=0
      for k in "${procs[@]}"; do
        cpu+=" ${k%%:*} $(( ($(ticks "${k#*:}") - before[j]) * 100 / $(getconf CLK_TCK) / win ))"
        j=$((j + 1))
      done
      wait "$lg"
      echo "$n instance(s), run $i: CPU % of one core:$cpu" | tee -a "$OUT/summary.txt"
      w+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wips"])' "$OUT/scaling-$n-$i.json")")
    done
    infra/topology.sh down >/dev/null 2>&1 || true
    report_row "$n instance(s): TPC-W shopping WIPS" "$(printf '%s\n' "${w[@]}" | median)" ""
    report_row "$n instance(s): GET /books/{id}" "$(printf '%s\n' "${g[@]}" | median)" ""
  done
}

case "${1:-}" in
  ceiling) cmd_ceiling ;;
  http) cmd_http ;;
  tpcw) shift; cmd_tpcw "$@" ;;
  soak) shift; cmd_soak "$@" ;;
  outbox) cmd_outbox ;;
  store) cmd_store ;;
  dynamo) cmd_dynamo ;;
  calls) cmd_calls ;;
  scaling) cmd_scaling ;;
  micro) cargo bench -p bookstore-api --bench hot_paths ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
