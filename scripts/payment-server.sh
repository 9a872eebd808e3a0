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
# (`--from-scratch`), so the launcher turns the dump off; and it keeps objects by kind, so that
# listing one kind (which every confirmation does) no longer reads every object held, nor a
# charge's refunds every refund held.
set -euo pipefail
TOOL=(bash "$(dirname "$0")/pypi-tool.sh" localstripe 1.15.10)
DIR=$("${TOOL[@]}" dir)
LAUNCHER="$DIR/bin/localstripe-in-memory"
case "${1:-install}" in
  bin) echo "$LAUNCHER" ;;
  install)
    "${TOOL[@]}" install
    # Written on every install and replaced when it differs, so a tools cache made by an
    # older version of this script gets the current launcher.
    tmp=$(mktemp "$DIR/bin/.launcher.XXXXXX")
    cat >"$tmp" <<'PY'
#!/bin/sh
exec "$(dirname "$0")/python" -c '
from localstripe import resources as r
r.Store.dump_to_disk = lambda self: None
# Listing a kind of object scanned every object held, and confirming a payment lists its
# charge refunds six times: create + confirm took 7 ms after 500 payments, 63 ms after 4,000.
# Objects are kept by kind as well, so that a listing reads its own kind only.
kinds = {}
def put(self, key, value, put=dict.__setitem__):
    put(self, key, value)
    kinds.setdefault(key.split(":", 1)[0], {})[key] = value
def remove(self, key, remove=dict.__delitem__):
    remove(self, key)
    kinds.get(key.split(":", 1)[0], {}).pop(key, None)
def list_all(cls, url, limit=None, starting_after=None, **kwargs):
    if kwargs:
        raise r.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    li = r.List(url, limit=limit, starting_after=starting_after)
    li._list = list(kinds.get(cls.object, {}).values())
    return li
r.Store.__delitem__ = remove
r.StripeObject._api_list_all = classmethod(list_all)
# A charge lists its refunds (every export, six times) by filtering all refunds held: keep
# them by charge too (a refund knows its charge once made, so new ones are filed on use).
fresh, by_charge = [], {}
def put_refund(self, key, value, put=put):
    put(self, key, value)
    if key.startswith("refund:"):
        fresh.append(value)
def refunds_of(charge):
    while fresh:
        refund = fresh.pop()
        by_charge.setdefault(refund.charge, []).append(refund)
    return sorted(by_charge.get(charge, []), key=lambda i: i.date, reverse=True)
def charge_refunds(self):
    li = r.List("/v1/charges/" + self.id + "/refunds")
    li._list = refunds_of(self.id)
    return li
all_refunds = r.Refund._api_list_all.__func__
def refund_list(cls, url, charge=None, payment_intent=None, limit=None, starting_after=None):
    bad = charge is not None and (payment_intent is not None or type(charge) is not str or not charge.startswith("ch_"))
    bad = bad or (payment_intent is not None and (type(payment_intent) is not str or not payment_intent.startswith("pi_")))
    if bad:
        raise r.UserError(400, "Bad request")
    if payment_intent is not None:
        charge = r.PaymentIntent._api_retrieve(payment_intent).latest_charge.id
    if charge is None:
        return all_refunds(cls, url, limit=limit, starting_after=starting_after)
    r.Charge._api_retrieve(charge)
    li = r.List(url, limit=limit, starting_after=starting_after)
    li._list = refunds_of(charge)
    return li
r.Store.__setitem__ = put_refund
r.Charge.refunds = property(charge_refunds)
r.Refund._api_list_all = classmethod(refund_list)
from localstripe.server import start
start()
' "$@"
PY
    chmod +x "$tmp"
    if cmp -s "$tmp" "$LAUNCHER"; then rm -f "$tmp"; else mv -f "$tmp" "$LAUNCHER"; fi
    ;;
  *) echo "usage: $0 [install|bin]" >&2; exit 2 ;;
esac
