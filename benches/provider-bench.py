#!/usr/bin/env python3
"""Does the payment provider slow down as payments pile up? Against a Stripe-compatible server
(the launcher of scripts/payment-server.sh), sequentially: create a PaymentIntent with manual
capture, confirm, capture, refund part of it, read it and list its refunds; prints the mean time
of that sequence per 500 payments.

    "$(bash scripts/payment-server.sh bin)" --port 8491 --from-scratch &
    python3 benches/provider-bench.py http://127.0.0.1:8491 3000
"""
import base64
import json
import sys
import time
import urllib.parse
import urllib.request

base, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000
auth = "Basic " + base64.b64encode(b"sk_test_bench:").decode()


def call(path, data=None, method=None):
    body = None if data is None else urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(base + path, data=body, headers={"Authorization": auth}, method=method)
    return json.loads(urllib.request.urlopen(req).read())


last = time.time()
for i in range(1, count + 1):
    pi = call("/v1/payment_intents", {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa", "capture_method": "manual"})
    call(f"/v1/payment_intents/{pi['id']}/confirm", {})
    call(f"/v1/payment_intents/{pi['id']}/capture", {})
    refund = call("/v1/refunds", {"payment_intent": pi["id"], "amount": 300})
    call(f"/v1/payment_intents/{pi['id']}", method="GET")
    listed = call(f"/v1/refunds?payment_intent={pi['id']}", method="GET")
    assert [r["id"] for r in listed["data"]] == [refund["id"]], listed
    if i % 500 == 0:
        now = time.time()
        print(f"{i} payments: {(now - last) / 500 * 1000:.1f} ms per create, confirm, capture, refund, read, list")
        last = now
