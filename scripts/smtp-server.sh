#!/usr/bin/env bash
# A real SMTP server for tests and `cargo xtask run`: aiosmtpd (PyPI) storing every message it
# accepts in a Maildir. `install` makes its virtualenv in the tools cache; `python` prints the
# interpreter to run it with (`python -m aiosmtpd -n -l HOST:PORT -c aiosmtpd.handlers.Mailbox DIR`).
set -euo pipefail
TOOL=(bash "$(dirname "$0")/pypi-tool.sh" aiosmtpd 1.4.6)
case "${1:-install}" in
  python) echo "$("${TOOL[@]}" dir)/bin/python" ;;
  install) "${TOOL[@]}" install ;;
  *) echo "usage: $0 [install|python]" >&2; exit 2 ;;
esac
