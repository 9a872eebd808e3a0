//! `/api/v1/me/cart`: the account's cart, checked against the catalogue on every answer.
use crate::helpers::*;
use bookstore_model::*;
use serde_json::json;

fn cart_of(lines: Vec<LineRequest>) -> CartInput {
    CartInput { lines }
}

#[tokio::test]
async fn a_new_account_has_an_empty_cart() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let cart = shopper.my_cart().await.unwrap();
    assert_eq!(cart, Cart::default());
    assert!(!cart.checkout_ready, "nothing to check out");
    assert_eq!(cart.subtotal_cents, 0);
}

#[tokio::test]
async fn a_saved_cart_reads_back_with_the_books_as_they_are() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let (dune, emma) = (app.book("Dune", 5).await, app.book("Emma", 3).await);
    let saved = shopper
        .replace_my_cart(&cart_of(vec![line(dune.id, 2), line(emma.id, 3)]))
        .await
        .unwrap();
    assert_eq!(saved.lines.len(), 2);
    assert_eq!(
        saved.lines.iter().map(|l| l.book_id).collect::<Vec<_>>(),
        vec![dune.id, emma.id],
        "in the order saved"
    );
    let first = &saved.lines[0];
    assert_eq!(first.status, CartLineStatus::Available);
    assert_eq!(first.title.as_ref(), Some(&dune.title));
    assert_eq!(first.unit_price_cents, Some(1000));
    assert_eq!(first.stock, 5);
    assert_eq!(first.line_total_cents, 2000);
    assert!(saved.checkout_ready);
    assert_eq!(saved.subtotal_cents, 5000);
    assert_eq!(saved.currency, Some(dune.currency.clone()));
    assert!(saved.updated_at.is_some());
    assert_eq!(shopper.my_cart().await.unwrap(), saved);

    // The whole cart is replaced, and an empty one empties it.
    let one = shopper
        .replace_my_cart(&cart_of(vec![line(emma.id, 1)]))
        .await
        .unwrap();
    assert_eq!(one.lines.len(), 1);
    assert_eq!(shopper.my_cart().await.unwrap().lines, one.lines);
    let emptied = shopper
        .replace_my_cart(&CartInput::default())
        .await
        .unwrap();
    assert!(emptied.lines.is_empty() && !emptied.checkout_ready);
    assert_eq!(shopper.my_cart().await.unwrap(), Cart::default());
}

#[tokio::test]
async fn deleted_and_sold_out_books_are_flagged() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let (kept, gone, sold_out, short) = (
        app.book("Kept", 4).await,
        app.book("Gone", 4).await,
        app.book("Sold out", 0).await,
        app.book("Short", 2).await,
    );
    shopper
        .replace_my_cart(&cart_of(vec![
            line(kept.id, 1),
            line(gone.id, 1),
            line(sold_out.id, 1),
            line(short.id, 3),
        ]))
        .await
        .unwrap();
    app.admin.admin_delete_book(gone.id, None).await.unwrap();
    let cart = shopper.my_cart().await.unwrap();
    let status: Vec<CartLineStatus> = cart.lines.iter().map(|l| l.status).collect();
    assert_eq!(
        status,
        vec![
            CartLineStatus::Available,
            CartLineStatus::Unavailable,
            CartLineStatus::InsufficientStock,
            CartLineStatus::InsufficientStock,
        ]
    );
    let deleted = &cart.lines[1];
    assert_eq!(
        deleted.title.as_ref(),
        Some(&gone.title),
        "named as last seen"
    );
    assert_eq!((deleted.unit_price_cents, deleted.stock), (None, 0));
    assert_eq!(cart.lines[2].stock, 0);
    assert_eq!(cart.lines[3].stock, 2, "how many copies there are");
    assert!(!cart.checkout_ready);
    // The lines with a price count; the deleted book has none.
    assert_eq!(cart.subtotal_cents, 1000 + 1000 + 3000);

    // Resolving the flags (remove the deleted and sold-out books, lower the short line) makes
    // the cart ready again.
    let fixed = shopper
        .replace_my_cart(&cart_of(vec![line(kept.id, 1), line(short.id, 2)]))
        .await
        .unwrap();
    assert!(fixed.checkout_ready);

    // A book id never in the catalogue is kept, and unavailable.
    let unknown = BookId::new();
    let cart = shopper
        .replace_my_cart(&cart_of(vec![line(unknown, 1)]))
        .await
        .unwrap();
    assert_eq!(cart.lines[0].status, CartLineStatus::Unavailable);
    assert_eq!(cart.lines[0].title, None);
}

#[tokio::test]
async fn invalid_carts_are_refused_with_their_codes() {
    let app = TestApp::spawn().await;
    let shopper = app.customer().await;
    let token = shopper.token().unwrap().to_owned();
    let book = app.book("Once", 3).await;
    let put = |body: serde_json::Value| {
        app.http
            .put(app.url(paths::MY_CART))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let id = book.id.to_string();
    let too_many: Vec<_> = (0..=MAX_CART_LINES)
        .map(|_| json!({"book_id": BookId::new(), "quantity": 1}))
        .collect();
    for (body, status, code) in [
        (
            json!({"lines": [{"book_id": id, "quantity": 0}]}),
            422,
            "validation_failed",
        ),
        (
            json!({"lines": [{"book_id": id, "quantity": 1001}]}),
            422,
            "validation_failed",
        ),
        (
            json!({"lines": [{"book_id": id, "quantity": -1}]}),
            422,
            "validation_failed",
        ),
        (
            json!({"lines": [{"book_id": id, "quantity": 1}, {"book_id": id, "quantity": 2}]}),
            422,
            "validation_failed",
        ),
        (json!({"lines": too_many}), 422, "validation_failed"),
        (
            json!({"lines": [{"book_id": id, "quantity": 1, "price": 1}]}),
            422,
            "validation_failed",
        ),
        (
            json!({"lines": [{"book_id": "not-a-uuid", "quantity": 1}]}),
            422,
            "validation_failed",
        ),
        (json!({}), 422, "validation_failed"),
    ] {
        assert_problem(put(body).await.unwrap(), status, code).await;
    }
    let res = app
        .http
        .put(app.url(paths::MY_CART))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"lines\": [")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_json").await;
    // Nothing was saved by any of them.
    assert_eq!(shopper.my_cart().await.unwrap(), Cart::default());
    // Exactly the most lines is fine.
    let full: Vec<_> = (0..MAX_CART_LINES)
        .map(|_| line(BookId::new(), 1000))
        .collect();
    assert_eq!(
        shopper
            .replace_my_cart(&cart_of(full))
            .await
            .unwrap()
            .lines
            .len(),
        MAX_CART_LINES
    );
}

#[tokio::test]
async fn the_cart_needs_a_token_and_is_the_accounts_own() {
    let app = TestApp::spawn().await;
    for res in [
        app.http.get(app.url(paths::MY_CART)).send().await.unwrap(),
        app.http
            .put(app.url(paths::MY_CART))
            .json(&json!({"lines": []}))
            .send()
            .await
            .unwrap(),
    ] {
        assert_problem(res, 401, "unauthorized").await;
    }
    let (ada, bob) = (app.customer().await, app.customer().await);
    let book = app.book("Mine", 3).await;
    ada.replace_my_cart(&cart_of(vec![line(book.id, 2)]))
        .await
        .unwrap();
    assert_eq!(bob.my_cart().await.unwrap(), Cart::default());
    bob.replace_my_cart(&cart_of(vec![line(book.id, 1)]))
        .await
        .unwrap();
    assert_eq!(ada.my_cart().await.unwrap().lines[0].quantity, 2);
    assert_eq!(bob.my_cart().await.unwrap().lines[0].quantity, 1);
}
