#!/usr/bin/env bash
# A real Stripe-compatible payment server for tests and `cargo xtask run`: localstripe (PyPI), a
# stateful emulator of Stripe's API (PaymentIntents with manual capture, refunds, decline and
# 3-D Secure test cards) that also serves a compatible stripe.js at `/js.stripe.com/v3/`.
# `install` makes its virtualenv in the tools cache; `bin` prints the program to run
# (`PROGRAM --port PORT --from-scratch`; it listens on every interface: send it loopback traffic
# only).
#
# The program is localstripe kept in memory only: as published, it pickles its whole state to
# /tmp/localstripe.pickle on every write (one file for every instance on the host), so each call
# costs more as payments pile up (measured: 4 ms to create an intent after 100, 12 ms after 300)
# and a load test measures the dump instead of the shop. The shop never reloads that state
# (`--from-scratch`), so the launcher turns the dump off.
set -euo pipefail
TOOL=(bash "$(dirname "$0")/pypi-tool.sh" localstripe 1.15.10)
DIR=$("${TOOL[@]}" dir)
LAUNCHER="$DIR/bin/localstripe-in-memory"
case "${1:-install}" in
  bin) echo "$LAUNCHER" ;;
  install)
    "${TOOL[@]}" install
    if [ ! -x "$LAUNCHER" ]; then
      tmp=$(mktemp "$DIR/bin/.launcher.XXXXXX")
      cat >"$tmp" <<'PY'
#!/bin/sh
exec "$(dirname "$0")/python" -c '
from localstripe import resources
resources.Store.dump_to_disk = lambda self: None
from localstripe.server import start
start()
' "$@"
PY
      chmod +x "$tmp"
      mv -f "$tmp" "$LAUNCHER"
    fi
    ;;
  *) echo "usage: $0 [install|bin]" >&2; exit 2 ;;
esac
