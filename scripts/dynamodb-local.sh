#!/usr/bin/env bash
# Amazon's DynamoDB Local engine for tests, from the npm registry (the only place this machine
# can fetch it from): `install` unpacks it into the tools cache; `dir` prints where it is.
set -euo pipefail
TOOLS="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"
DIR="$TOOLS/dynamodb-local-2.9.30"
case "${1:-install}" in
  dir) echo "$DIR/package/emulator" ;;
  install)
    if [ -f "$DIR/package/emulator/DynamoDBLocal.jar" ]; then exit 0; fi
    command -v java >/dev/null || { echo "DynamoDB Local needs Java (17+)" >&2; exit 1; }
    mkdir -p "$DIR"
    cd "$DIR"
    npm pack --silent amplify-dynamodb-simulator@2.9.30 >/dev/null
    tar xzf amplify-dynamodb-simulator-2.9.30.tgz package/emulator
    rm -f amplify-dynamodb-simulator-2.9.30.tgz
    echo "DynamoDB Local installed in $DIR/package/emulator" >&2
    ;;
  *) echo "usage: $0 [install|dir]" >&2; exit 2 ;;
esac
