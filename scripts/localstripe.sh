#!/usr/bin/env bash
# localstripe, a stateful Stripe API emulator (PyPI), for tests and `cargo xtask run`: `install`
# makes a virtualenv with it in the tools cache; `bin` prints the server's path.
set -euo pipefail
TOOLS="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"
VERSION=1.15.10
DIR="$TOOLS/localstripe-$VERSION"
case "${1:-install}" in
  bin) echo "$DIR/bin/localstripe" ;;
  install)
    if [ -x "$DIR/bin/localstripe" ]; then exit 0; fi
    command -v python3 >/dev/null || { echo "localstripe needs python3 (with venv)" >&2; exit 1; }
    rm -rf "$DIR"
    python3 -m venv "$DIR"
    "$DIR/bin/pip" install --quiet --disable-pip-version-check "localstripe==$VERSION"
    echo "localstripe installed in $DIR" >&2
    ;;
  *) echo "usage: $0 [install|bin]" >&2; exit 2 ;;
esac
