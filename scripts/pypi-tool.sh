#!/usr/bin/env bash
# A Python program from PyPI in its own virtualenv in the tools cache, pinned to one version:
# `pypi-tool.sh PACKAGE VERSION install` makes it (once), `pypi-tool.sh PACKAGE VERSION dir`
# prints the virtualenv's directory. The shop's test servers (scripts/payment-server.sh,
# scripts/smtp-server.sh) are installed this way.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 PACKAGE VERSION install|dir" >&2; exit 2; }
PACKAGE=$1 VERSION=$2
TOOLS="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"
DIR="$TOOLS/$PACKAGE-$VERSION"
case "$3" in
  dir) echo "$DIR" ;;
  install)
    # The package's own program (both have one by their name) is written last by pip.
    if [ -x "$DIR/bin/$PACKAGE" ]; then exit 0; fi
    command -v python3 >/dev/null || { echo "$PACKAGE needs python3 (with venv)" >&2; exit 1; }
    rm -rf "$DIR"
    python3 -m venv "$DIR"
    "$DIR/bin/pip" install --quiet --disable-pip-version-check "$PACKAGE==$VERSION"
    echo "$PACKAGE installed in $DIR" >&2
    ;;
  *) echo "usage: $0 PACKAGE VERSION install|dir" >&2; exit 2 ;;
esac
