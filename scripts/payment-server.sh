#!/usr/bin/env bash
# A real Stripe-compatible payment server for tests and `cargo xtask run`: localstripe (PyPI), a
# stateful emulator of Stripe's API (PaymentIntents with manual capture, refunds, decline and
# 3-D Secure test cards) that also serves a compatible stripe.js at `/js.stripe.com/v3/`.
# `install` makes its virtualenv in the tools cache; `bin` prints the program to run
# (`localstripe --port PORT`; it listens on every interface: send it loopback traffic only).
set -euo pipefail
TOOL=(bash "$(dirname "$0")/pypi-tool.sh" localstripe 1.15.10)
case "${1:-install}" in
  bin) echo "$("${TOOL[@]}" dir)/bin/localstripe" ;;
  install) "${TOOL[@]}" install ;;
  *) echo "usage: $0 [install|bin]" >&2; exit 2 ;;
esac
