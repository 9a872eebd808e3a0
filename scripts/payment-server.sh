#!/usr/bin/env bash
# A real Stripe-compatible payment server for tests and `cargo xtask run`: localstripe (PyPI), a
# stateful emulator of Stripe's API (PaymentIntents with manual capture, refunds, decline and
# 3-D Secure test cards) that also serves a compatible stripe.js at `/js.stripe.com/v3/`.
# `install` makes its virtualenv in the tools cache; `bin` prints the program to run
# (`localstripe --port PORT`; it listens on every interface: send it loopback traffic only).
set -euo pipefail
TOOLS="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"
VERSION=1.15.10
DIR="$TOOLS/localstripe-$VERSION"
case "${1:-install}" in
  bin) echo "$DIR/bin/localstripe" ;;
  install)
    if [ -x "$DIR/bin/localstripe" ]; then exit 0; fi
    command -v python3 >/dev/null || { echo "the payment server needs python3 (with venv)" >&2; exit 1; }
    rm -rf "$DIR"
    python3 -m venv "$DIR"
    "$DIR/bin/pip" install --quiet --disable-pip-version-check "localstripe==$VERSION"
    echo "localstripe installed in $DIR" >&2
    ;;
  *) echo "usage: $0 [install|bin]" >&2; exit 2 ;;
esac
