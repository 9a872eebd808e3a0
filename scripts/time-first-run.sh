#!/usr/bin/env bash
# Times a newcomer's `cargo xtask run`: a fresh clone of HEAD with an empty cargo home (registry),
# target dir, tools cache and npm cache, until the shop answers /healthz (cold); then the same
# again with everything kept (warm). The rustup toolchain (and its wasm32 target) is used as it is.
# Prints wall time, the CPU time of the task's process tree and the load average: on a shared
# machine the wall time says more about the neighbours than about the build.
#
#   scripts/time-first-run.sh [WORK_DIR]      # default /tmp/bookstore-first-run (deleted first)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/bookstore-first-run}"
port="${PORT:-18181}"
rm -rf "$work"
mkdir -p "$work/cargo-home"
git clone -q "$repo" "$work/clone"
export CARGO_HOME="$work/cargo-home" BOOKSTORE_TOOLS_DIR="$work/tools" \
  CARGO_TARGET_DIR="$work/target" npm_config_cache="$work/npm-cache" \
  BOOKSTORE__LISTEN="127.0.0.1:$port"
# Cargo and rustc through rustup's proxies, whatever CARGO_HOME says.
export PATH="$HOME/.cargo/bin:$PATH"

cpu_of() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }

measure() {
  local label=$1 start end top loads=0 n=0
  start=$(date +%s.%N)
  echo "$label: load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$work/clone" && exec setsid cargo xtask run) >"$work/$label.log" 2>&1 &
  top=$!
  until curl -fsS -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    kill -0 "$top" 2>/dev/null || { tail -20 "$work/$label.log"; echo "$label: the task exited" >&2; exit 1; }
    loads=$(echo "$loads + $(cut -d' ' -f1 /proc/loadavg)" | bc); n=$((n + 1))
    sleep 1
  done
  end=$(date +%s.%N)
  # `cargo run` execs the xtask binary: one process, whose children's times include every build.
  local ticks; ticks=$(cpu_of "$top")
  curl -fsS "http://127.0.0.1:$port/" | grep -q 'app-.*\.wasm' || echo "$label: / does not name the SPA's wasm" >&2
  printf '%s: /healthz after %.0f s; CPU %.0f s (the task and the builds it waited for); mean load %.1f\n' \
    "$label" "$(echo "$end - $start" | bc)" "$(echo "$ticks / $(getconf CLK_TCK)" | bc -l)" \
    "$(echo "$loads / ($n + 0.0001)" | bc -l)"
  kill -INT -- "-$top" 2>/dev/null || true
  sleep 3
  kill -- "-$top" 2>/dev/null || true
  wait "$top" 2>/dev/null || true
}

measure cold
measure warm
echo "logs: $work/cold.log, $work/warm.log (each ends with the task's timing table)"
