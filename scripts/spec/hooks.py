"""Schemathesis extensions for the spec check (loaded through SCHEMATHESIS_HOOKS).

- Format `uuid`: real ids half of the time (below).
- Format `isbn`: the ISBN pattern states the shape; the check digit is no pattern, so valid
  ISBNs are generated here (ISBN-13 and ISBN-10, some with hyphens).
- Check `refusals_are_semantic`: the built-in positive_data_acceptance is configured to let
  400, 412 and 422 through (schemathesis.toml) because some refusals of schema-valid data are
  about the data's meaning, not its shape: a random book id on an order line
  (`unknown_book`), a random cursor (`invalid_cursor`, cursors are signed), a stale `If-Match`
  (`precondition_failed`), a key reused for another body, a mix of currencies, a full address
  book (`too_many_addresses`: the fuzzer adds far more than 20). This check fails
  on every other refusal of schema-valid data, i.e. where validation is stricter than the
  schema (`validation_failed`, `invalid_query`, `invalid_header`, `invalid_id`, ...).
"""

import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

# Validation the schemas cannot state, found by the fuzzer and left as it is (see the module
# docstring): one line per book (the lines' `book_id`s must differ: uniqueItems cannot say it),
# integers written as floats (`4231.0` is an integer to JSON Schema, not to serde), and the
# distinct words of a book's title and authors (at most 44 together: search indexes each).
UNSTATABLE = (
    "appears on more than one line",
    "invalid type: floating point",
    "distinct words",
    "must not repeat a type",
    # An order ships to `address_id` or to `shipping_address`: exactly one (both are optional
    # properties to the schema).
    "not both",
    "an order needs address_id or shipping_address",
    # Accepting a staff invitation as a new account takes a name and a password; as the
    # logged-in account, neither (both are optional properties to the schema).
    "give both a name and a password",
)

SEMANTIC_CODES = {
    # A CSV import whose file has problems (no header, missing columns, bad cells): the body is
    # a string to the schema; the CSV's columns and rules are in the operation's description.
    "import_invalid",
    "invalid_cursor",
    "unknown_book",
    "idempotency_key_reused",
    "mixed_currency",
    "precondition_failed",
    "too_many_addresses",
    # A shipping option id that fits the pattern but is not configured, or does not serve the
    # address's country.
    "shipping_unavailable",
    # Copies of an order delivered longer ago than the return window.
    "return_window_closed",
    # A webhook URL the shop may not call (it does not resolve to a public address, or at all).
    "webhook_url_refused",
    "too_many_webhooks",
    "delivery_pending",
    # An API key's `expires_at` in the past: any date-time fits the schema; whether it is still
    # to come depends on the clock.
    "expiry_in_past",
    # A password-reset or e-mail-confirmation token that is unknown, used or expired: any string
    # fits the schema; only the store knows the token.
    "invalid_reset_token",
    "invalid_email_token",
    # A staff invitation's token, likewise; and a role change that would leave no owner.
    "invalid_invitation",
    "last_owner",
    # A book's genre that fits the pattern but is not on the shop's list (only the store knows
    # the list; `GET /api/v1/admin/genres`).
    "unknown_genre",
    # The current password given to confirm an account change is wrong (403, not checked
    # here, listed for the record): any string fits the schema.
    "wrong_password",
    # A dashboard range whose `from` is not before its `to`, or that is longer than the
    # figures are served for: each bound alone fits the schema.
    "invalid_range",
}


def _isbn13(digits):
    total = sum(d if i % 2 == 0 else 3 * d for i, d in enumerate(digits))
    return "".join(map(str, digits + [(10 - total % 10) % 10]))


def _isbn10(digits):
    check = (11 - sum((10 - i) * d for i, d in enumerate(digits)) % 11) % 11
    return "".join(map(str, digits)) + ("X" if check == 10 else str(check))


def _hyphenate(s):
    return f"{s[:3]}-{s[3:-1]}-{s[-1]}"


_digits = st.lists(st.integers(0, 9), min_size=9, max_size=9)
isbns = st.one_of(
    st.builds(lambda d: _isbn13([9, 7, 8] + d), _digits),
    st.builds(lambda d: _isbn13([9, 7, 9] + d), _digits),
    st.builds(_isbn10, _digits),
    st.builds(lambda d: _hyphenate(_isbn13([9, 7, 8] + d)), _digits),
)
schemathesis.openapi.format("isbn", isbns)

# Ids of real books and of the journey's order (SPEC_IDS, from the script) besides random ones:
# random ids alone stop nearly every order, return and admin edit at 404 or `unknown_book`,
# before the logic behind them.
_ids = [i for i in os.environ.get("SPEC_IDS", "").split(",") if i]
if _ids:
    schemathesis.openapi.format("uuid", st.one_of(st.sampled_from(_ids), st.uuids().map(str)))


@schemathesis.check
def refusals_are_semantic(ctx, response, case):
    meta = case.meta
    if meta is None or is_unexpected_http_status_case(case):
        return None
    if not meta.generation.mode.is_positive or response.status_code not in (400, 412, 422):
        return None
    try:
        code = response.json().get("code")
    except Exception:
        code = None
    if code == "validation_failed" and any(m in response.text for m in UNSTATABLE):
        return None
    if code not in SEMANTIC_CODES:
        raise AssertionError(
            f"Schema-valid data was refused: {response.status_code} `{code}`: "
            f"{response.text[:300]}"
        )
    return None
