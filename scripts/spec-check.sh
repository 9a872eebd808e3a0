#!/usr/bin/env bash
# Proves api-spec/openapi.json against the real server:
#  1. generates a Python client from it with a standard generator (openapi-python-client) and
#     drives that client through a customer's and an admin's journey (scripts/spec/journey.py);
#  2. fuzzes every operation from the schemas with schemathesis, with a customer's token and an
#     admin's, failing on any 5xx, any response the document does not describe (status, content
#     type, body), and any disagreement between the schemas and the validation: data the
#     schemas allow but the server refuses, or data they forbid but the server takes.
# Both tools come from PyPI, pinned, installed on first use into a virtualenv outside the
# repository (${BOOKSTORE_TOOLS_DIR:-~/.cache/bookstore-tools}/spec-venv). The server is the
# debug `bookstore` binary (built here if needed) on a free port, on the embedded store in a
# scratch directory, in dev mode with the demo catalogue, an admin, and rate limits lifted.
# Env: SPEC_CHECK_MAX_EXAMPLES (default 30) bounds the generated cases per operation and phase.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
tools="${BOOKSTORE_TOOLS_DIR:-$HOME/.cache/bookstore-tools}"
venv="$tools/spec-venv"
requirements=(schemathesis==4.32.5 openapi-python-client==0.29.1)
max_examples="${SPEC_CHECK_MAX_EXAMPLES:-30}"
started=$SECONDS

# Installs the pinned tools unless the venv already holds exactly them.
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "${requirements[*]}" ]; then
    echo "installing ${requirements[*]} into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$tools"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
    echo "${requirements[*]}" >"$venv/.requirements"
fi

target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
(cd "$root" && cargo build --quiet -p bookstore-api --bin bookstore)
bin="$target/debug/bookstore"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/spec-check.XXXXXX")"
server=""
payments=""
cleanup() {
    for pid in $server $payments; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$scratch"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export SPEC_ADMIN_EMAIL="admin@spec-check.test"
SPEC_ADMIN_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
export SPEC_ADMIN_PASSWORD
lots=1000000
# The payment provider: localstripe (PyPI), a Stripe emulator, as in the HTTP tests.
bash "$root/scripts/payment-server.sh" install
pay_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$(bash "$root/scripts/payment-server.sh" bin)" --port "$pay_port" --from-scratch >"$scratch/payments.log" 2>&1 &
payments=$!
for _ in $(seq 1 300); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $pay_port), 1)" 2>/dev/null && break
    sleep 0.2
done
python3 -c "import socket; socket.create_connection(('127.0.0.1', $pay_port), 1)" 2>/dev/null || {
    echo "the payment server did not start:" >&2
    cat "$scratch/payments.log" >&2
    exit 1
}
(
    cd "$scratch"
    exec env \
        BOOKSTORE__MODE=dev \
        BOOKSTORE__LISTEN="127.0.0.1:$port" \
        BOOKSTORE__DATA_DIR="$scratch/data" \
        BOOKSTORE__STATIC_DIR="$scratch/no-spa" \
        BOOKSTORE__SEED_DEMO=true \
        BOOKSTORE__PAYMENTS__API_URL="http://127.0.0.1:$pay_port" \
        BOOKSTORE__PAYMENTS__SECRET_KEY=sk_test_spec_check \
        BOOKSTORE__PAYMENTS__PUBLISHABLE_KEY=pk_test_spec_check \
        BOOKSTORE__ADMIN__EMAIL="$SPEC_ADMIN_EMAIL" \
        BOOKSTORE__ADMIN__PASSWORD="$SPEC_ADMIN_PASSWORD" \
        BOOKSTORE__PASSWORD_HASH_MEMORY_KIB=1024 \
        BOOKSTORE__PASSWORD_HASH_PASSES=1 \
        BOOKSTORE__RATE_LIMIT__AUTH_PER_MINUTE=$lots \
        BOOKSTORE__RATE_LIMIT__LOGINS_PER_ACCOUNT_PER_MINUTE=$lots \
        BOOKSTORE__RATE_LIMIT__WRITES_PER_SECOND=$lots \
        BOOKSTORE__RATE_LIMIT__WRITE_BURST=$lots \
        BOOKSTORE__RATE_LIMIT__READS_PER_SECOND=$lots \
        BOOKSTORE__RATE_LIMIT__READ_BURST=$lots \
        BOOKSTORE__RATE_LIMIT__STREAMS_PER_CLIENT=$lots \
        BOOKSTORE__RATE_LIMIT__PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR=$lots \
        BOOKSTORE__RATE_LIMIT__API_KEY_PER_SECOND=$lots \
        BOOKSTORE__RATE_LIMIT__API_KEY_BURST=$lots \
        "$bin" serve
) >"$scratch/server.log" 2>&1 &
server=$!
for _ in $(seq 1 150); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$scratch/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || { echo "the server did not get ready" >&2; exit 1; }

echo "spec check: generating a Python client (openapi-python-client) and driving it" >&2
# The generator skips what it cannot model with a warning and exit status 0: any warning fails.
"$venv/bin/openapi-python-client" generate --path "$root/api-spec/openapi.json" \
    --output-path "$scratch/client/bookstore_client" --meta none --config "$here/spec/client.yaml" \
    >"$scratch/generate.log" 2>&1 || { cat "$scratch/generate.log" >&2; exit 1; }
if grep -qi "warning\|error" "$scratch/generate.log"; then
    cat "$scratch/generate.log" >&2
    exit 1
fi
PYTHONPATH="$scratch/client" "$venv/bin/python" "$here/spec/journey.py" "$base" \
    >"$scratch/tokens.env" || {
    tail -n 20 "$scratch/server.log" "$scratch/payments.log" >&2
    exit 1
}
# shellcheck disable=SC1091
source "$scratch/tokens.env"
export SPEC_CUSTOMER_TOKEN SPEC_ADMIN_TOKEN SPEC_BOOK_ID SPEC_ORDER_ID SPEC_IDS
journey_done=$SECONDS

echo "spec check: schemathesis over every operation (at most $max_examples cases per operation and phase)" >&2
set +e
# From the scratch directory: schemathesis keeps a cache in its working directory.
cd "$scratch"
SCHEMATHESIS_HOOKS="$here/spec/hooks.py" "$venv/bin/schemathesis" --config-file "$here/spec/schemathesis.toml" run \
    "$root/api-spec/openapi.json" --url "$base" \
    --max-examples "$max_examples" --no-color 2>&1 | tee "$scratch/schemathesis.log" >&2
status=${PIPESTATUS[0]}
set -e
if grep -q "panicked\|internal error" "$scratch/server.log"; then
    echo "the server logged internal errors:" >&2
    grep "panicked\|internal error" "$scratch/server.log" | head -20 >&2
    status=1
fi
cases="$(grep -Eo '^ *[0-9]+ generated' "$scratch/schemathesis.log" | tail -1 | tr -dc 0-9)"
echo "spec check: journey $((journey_done - started)) s, schemathesis $((SECONDS - journey_done)) s \
(${cases:-?} cases), $((SECONDS - started)) s in all" >&2
exit "$status"
