"""Drives a client generated from api-spec/openapi.json (openapi-python-client) through a
customer's and an admin's journey against a running server. Every call goes through the
generated code: a missing, misnamed or mistyped operation fails here.

Usage: journey.py BASE_URL (with the generated `bookstore_client` package on PYTHONPATH, and
SPEC_ADMIN_EMAIL / SPEC_ADMIN_PASSWORD set). Prints shell assignments for the fuzzing that
follows: SPEC_CUSTOMER_TOKEN, SPEC_ADMIN_TOKEN, SPEC_BOOK_ID, SPEC_ORDER_ID, SPEC_IDS (ten
books' ids and the order's, comma-separated).
"""

import os
import secrets
import sys
import uuid

from bookstore_client import AuthenticatedClient, Client
from bookstore_client.api.accounts import (
    create_my_address,
    delete_my_address,
    get_me,
    list_my_addresses,
    login,
    register,
    replace_my_address,
)
from bookstore_client.api.admin import (
    add_genre,
    adjust_stock,
    create_book,
    delete_book,
    deliver_order,
    list_all_orders,
    list_audit_entries,
    list_managed_genres,
    receive_return,
    ship_order,
    update_book,
)
from bookstore_client.api.catalogue import get_book, list_bestsellers, list_books, list_genres
from bookstore_client.api.orders import (
    create_return,
    get_order,
    list_orders,
    list_returns,
    list_shipping_options,
    place_order,
)
from bookstore_client.models import (
    AddressInput,
    BookDetails,
    CountryCode,
    CreateReturn,
    LineRequest,
    LoginRequest,
    NewBook,
    NewGenre,
    PlaceOrder,
    Problem,
    RegisterRequest,
    ShipOrder,
    StockAdjustment,
)


def step(name, response, status):
    """The parsed body of a response that must have `status`; anything else fails loudly."""
    if response.status_code != status:
        sys.exit(
            f"journey: {name}: expected {status}, got {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    print(f"journey: {name}: {status}", file=sys.stderr)
    return response.parsed


def check(condition, message):
    if not condition:
        sys.exit(f"journey: {message}")


def isbn13():
    """A random ISBN-13 with its check digit (979 prefix: none of the demo books')."""
    digits = [9, 7, 9] + [secrets.randbelow(10) for _ in range(9)]
    total = sum(d if i % 2 == 0 else 3 * d for i, d in enumerate(digits))
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def main():
    base = sys.argv[1]
    # Undocumented statuses raise instead of passing silently.
    public = Client(base_url=base, raise_on_unexpected_status=True)

    page = step("list books", list_books.sync_detailed(client=public, limit=5), 200)
    check(len(page.items) == 5 and page.next_cursor, "the first page is full and has a next")
    more = step(
        "next page",
        list_books.sync_detailed(client=public, limit=5, cursor=page.next_cursor),
        200,
    )
    check(not {b.id for b in page.items} & {b.id for b in more.items}, "pages do not overlap")
    target = page.items[0]
    word = str(target.title).split()[0]
    found = step("search", list_books.sync_detailed(client=public, q=word, limit=100), 200)
    check(any(b.id == target.id for b in found.items), f"searching {word!r} finds {target.title!r}")
    by_genre = step(
        "filter by genre",
        list_books.sync_detailed(client=public, genre=str(target.genre), limit=100),
        200,
    )
    check(all(b.genre == target.genre for b in by_genre.items), "the genre filter holds")
    genres = step("list genres", list_genres.sync_detailed(client=public), 200)
    check(any(g.genre == target.genre for g in genres), "the book's genre is listed")
    book = step("get book", get_book.sync_detailed(client=public, id=target.id), 200)
    check(book.isbn == target.isbn, "a book reads back as listed")
    missing = step("get a missing book", get_book.sync_detailed(client=public, id=uuid.uuid4()), 404)
    check(isinstance(missing, Problem) and missing.code == "not_found", "404 is a problem")

    email = f"reader-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(12)
    registered = step(
        "register",
        register.sync_detailed(
            client=public,
            body=RegisterRequest(email=email, password=password, name="Spec Reader"),
        ),
        201,
    )
    logged_in = step(
        "log in",
        login.sync_detailed(client=public, body=LoginRequest(email=email, password=password)),
        200,
    )
    check(logged_in.user.id == registered.user.id, "login finds the registered account")
    customer = AuthenticatedClient(
        base_url=base, token=logged_in.token, raise_on_unexpected_status=True
    )
    me = step("me", get_me.sync_detailed(client=customer), 200)
    check(me.email == email, "me is the account")

    home = AddressInput(
        name="Spec Reader",
        line1="1 Generated Road",
        city="Berlin",
        postal_code="10115",
        country=CountryCode("DE"),
        phone="+49 30 1234567",
    )
    address = step(
        "add an address", create_my_address.sync_detailed(client=customer, body=home), 201
    )
    home.line2 = "Hinterhaus"
    replaced = step(
        "replace it",
        replace_my_address.sync_detailed(client=customer, id=address.id, body=home),
        200,
    )
    check(replaced.line2 == "Hinterhaus", "the address is replaced")
    book = step("list my addresses", list_my_addresses.sync_detailed(client=customer), 200)
    check([a.id for a in book] == [address.id], "my addresses are this one")
    step("delete it", delete_my_address.sync_detailed(client=customer, id=address.id), 204)
    shipping = step(
        "shipping options to DE",
        list_shipping_options.sync_detailed(client=public, country=CountryCode("DE")),
        200,
    )
    check(len(shipping.options) > 0 and shipping.currency, "some option ships to DE")

    key = secrets.token_hex(8)
    standard = next(o for o in shipping.options if o.id == "standard")
    # Stripe's test card that authorizes (the shop's payment provider is localstripe here).
    order_body = PlaceOrder(
        lines=[LineRequest(book_id=target.id, quantity=2)],
        shipping_address=home,
        shipping_option="standard",
        payment_method="pm_card_visa",
    )
    order = step(
        "place order",
        place_order.sync_detailed(client=customer, body=order_body, idempotency_key=key),
        201,
    )
    check(order.status == "paid", "the card is authorized")
    check(order.items_cents == 2 * target.price_cents, "the items are two copies")
    check(
        order.total_cents == order.items_cents + standard.price_per_order_cents + order.tax_cents,
        "the total is items, shipping and tax",
    )
    again = step(
        "retry the order",
        place_order.sync_detailed(client=customer, body=order_body, idempotency_key=key),
        200,
    )
    check(again.id == order.id, "a retry answers the same order")
    read = step("read the order back", get_order.sync_detailed(client=customer, id=order.id), 200)
    check(read.id == order.id and read.lines[0].quantity == 2, "the order reads back")
    mine = step("list my orders", list_orders.sync_detailed(client=customer), 200)
    check([o.id for o in mine.items] == [order.id], "my orders are this one")
    admin_login = step(
        "admin logs in",
        login.sync_detailed(
            client=public,
            body=LoginRequest(
                email=os.environ["SPEC_ADMIN_EMAIL"], password=os.environ["SPEC_ADMIN_PASSWORD"]
            ),
        ),
        200,
    )
    admin = AuthenticatedClient(
        base_url=base, token=admin_login.token, raise_on_unexpected_status=True
    )
    shipped = step(
        "admin ships it",
        ship_order.sync_detailed(
            client=admin,
            id=order.id,
            body=ShipOrder(carrier="DHL", tracking_number="JD0146 0000 6281"),
        ),
        200,
    )
    check(shipped.status == "shipped", "the order is shipped")
    step("admin delivers it", deliver_order.sync_detailed(client=admin, id=order.id), 200)
    receipt = step(
        "return a copy",
        create_return.sync_detailed(
            client=customer,
            id=order.id,
            body=CreateReturn(lines=[LineRequest(book_id=target.id, quantity=1)], reason="Gift"),
        ),
        201,
    )
    check(receipt.return_.status == "requested", "the return is requested")
    received = step(
        "admin receives the copy",
        receive_return.sync_detailed(client=admin, id=order.id, return_id=receipt.return_.id),
        200,
    )
    check(received.order.status == "partially_returned", "the order is partially returned")
    returns = step("list returns", list_returns.sync_detailed(client=customer, id=order.id), 200)
    check(len(returns) == 1, "one return")
    step("best sellers", list_bestsellers.sync_detailed(client=public, limit=50), 200)
    step("an admin route with a customer token", list_audit_entries.sync_detailed(client=customer), 403)

    orders = step("admin lists orders", list_all_orders.sync_detailed(client=admin, limit=100), 200)
    check(any(o.id == order.id for o in orders.items), "the admin sees the order")
    step(
        "admin adds a genre",
        add_genre.sync_detailed(client=admin, body=NewGenre(genre="reference")),
        201,
    )
    listed = step("admin lists the genres", list_managed_genres.sync_detailed(client=admin), 200)
    check(any(g.genre == "reference" and g.count == 0 for g in listed), "the new genre is listed")
    created = step(
        "admin adds a book",
        create_book.sync_detailed(
            client=admin,
            body=NewBook(
                isbn=isbn13(),
                title="Spec Check",
                authors=["A. Generated", "C. Lient"],
                genre="reference",
                price_cents=1234,
                published_year=2026,
                stock=3,
            ),
        ),
        201,
    )
    details = BookDetails(
        isbn=created.isbn,
        title="Spec Check, Second Edition",
        authors=created.authors,
        genre=created.genre,
        price_cents=1500,
        published_year=2026,
    )
    updated = step(
        "admin edits it",
        update_book.sync_detailed(
            client=admin, id=created.id, body=details, if_match=f'"{created.version}"'
        ),
        200,
    )
    stale = step(
        "a stale edit",
        update_book.sync_detailed(
            client=admin, id=created.id, body=details, if_match=f'"{created.version}"'
        ),
        412,
    )
    check(stale.current_version == updated.version, "412 names the current version")
    restocked = step(
        "admin restocks",
        adjust_stock.sync_detailed(
            client=admin, id=created.id, body=StockAdjustment(delta=5, reason="delivery")
        ),
        200,
    )
    check(restocked.stock == 8, "stock 3 + 5")
    audit = step("admin reads the audit log", list_audit_entries.sync_detailed(client=admin), 200)
    check(
        [e.action for e in audit.items[:3]] == ["book.stock", "book.update", "book.create"],
        "the audit log has the three changes, newest first",
    )
    step("admin deletes it", delete_book.sync_detailed(client=admin, id=created.id), 204)

    print(f"SPEC_CUSTOMER_TOKEN={logged_in.token}")
    print(f"SPEC_ADMIN_TOKEN={admin_login.token}")
    print(f"SPEC_BOOK_ID={target.id}")
    print(f"SPEC_ORDER_ID={order.id}")
    ids = [str(b.id) for b in page.items + more.items] + [str(order.id)]
    print(f"SPEC_IDS={','.join(ids)}")


if __name__ == "__main__":
    main()
