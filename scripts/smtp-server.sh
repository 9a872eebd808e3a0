#!/usr/bin/env bash
# A real SMTP server for tests and `cargo xtask run`: aiosmtpd (PyPI) storing every message it
# accepts in a Maildir. `install` makes its virtualenv in the tools cache; `python` prints the
# interpreter to run it with (`python -m aiosmtpd -n -l HOST:PORT -c aiosmtpd.handlers.Mailbox DIR`).
set -euo pipefail
TOOLS="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"
VERSION=1.4.6
DIR="$TOOLS/aiosmtpd-$VERSION"
case "${1:-install}" in
  python) echo "$DIR/bin/python" ;;
  install)
    if [ -x "$DIR/bin/aiosmtpd" ]; then exit 0; fi
    command -v python3 >/dev/null || { echo "the SMTP server needs python3 (with venv)" >&2; exit 1; }
    rm -rf "$DIR"
    python3 -m venv "$DIR"
    "$DIR/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$VERSION"
    echo "aiosmtpd installed in $DIR" >&2
    ;;
  *) echo "usage: $0 [install|python]" >&2; exit 2 ;;
esac
