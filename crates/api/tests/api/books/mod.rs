//! `GET /api/v1/books` and `/books/{id}`: listing, paging, cursors; search in `search`.
mod currency;
mod search;

use crate::helpers::*;
use bookstore_model::*;
use std::collections::HashSet;

pub(super) async fn collect_all(app: &TestApp, q: BookQuery) -> Vec<Book> {
    all_pages(q.limit.unwrap_or(20) as usize, |cursor| {
        let q = BookQuery {
            cursor,
            ..q.clone()
        };
        async move { app.api.list_books(&q).await.expect("page") }
    })
    .await
}

/// Every book of `expected` appears exactly once in `books`, and `books` are in `sort` order
/// (titles compared case-insensitively).
pub(super) fn assert_each_once_in_order(
    books: &[Book],
    expected: &HashSet<BookId>,
    sort: BookSort,
) {
    let ids: Vec<BookId> = books.iter().map(|b| b.id).collect();
    let unique: HashSet<BookId> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "{sort:?}: a book repeated");
    assert_eq!(&unique, expected, "{sort:?}: not every book seen");
    let in_order = books.windows(2).all(|w| match sort {
        BookSort::PriceAsc => w[0].price_cents.get() <= w[1].price_cents.get(),
        BookSort::PriceDesc => w[0].price_cents.get() >= w[1].price_cents.get(),
        BookSort::Newest => w[0].created_at >= w[1].created_at,
        BookSort::Title => w[0].title.as_str().to_lowercase() <= w[1].title.as_str().to_lowercase(),
    });
    assert!(in_order, "{sort:?}: out of order");
}

#[tokio::test]
async fn paging_visits_every_book_exactly_once_in_every_order() {
    let app = TestApp::spawn().await;
    let mut created = HashSet::new();
    for i in 0..37 {
        let genre = if i % 3 == 0 { "poetry" } else { "fiction" };
        // Repeated titles and prices: ties must neither repeat nor drop books.
        let b = new_book(
            &format!("Volume {}", i % 5),
            "Pager",
            genre,
            500 + (i % 4) * 100,
            3,
        );
        created.insert(app.admin.admin_create_book(&b).await.unwrap().id);
    }
    for sort in [
        BookSort::Title,
        BookSort::PriceAsc,
        BookSort::PriceDesc,
        BookSort::Newest,
    ] {
        let q = BookQuery {
            sort: Some(sort),
            limit: Some(7),
            ..Default::default()
        };
        let books = collect_all(&app, q).await;
        assert_each_once_in_order(&books, &created, sort);
    }
    let poetry = collect_all(
        &app,
        BookQuery {
            genre: Some("poetry".into()),
            limit: Some(4),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(poetry.len(), 13);
    assert!(poetry.iter().all(|b| b.genre.as_str() == "poetry"));
}

#[tokio::test]
async fn books_genres_and_bestsellers() {
    let app = TestApp::spawn().await;
    let a = app.book("Alpha", 10).await;
    let b = app.book("Beta", 10).await;
    let got = app.api.get_book(a.id).await.unwrap();
    assert_eq!(got, a);
    let res = app
        .http
        .get(app.url(&format!("/api/v1/books/{}", a.id)))
        .send()
        .await
        .unwrap();
    let etag = res.headers()["etag"].to_str().unwrap();
    assert!(
        etag.starts_with("\"1-"),
        "the version, then the representation's hash: {etag}"
    );
    assert_eq!(
        code_of(app.api.get_book(BookId::new()).await),
        (404, ProblemCode::NotFound)
    );

    let genres = app.api.genres().await.unwrap();
    assert_eq!(
        genres,
        vec![GenreCount {
            genre: Genre::parse("fiction").unwrap(),
            count: 2
        }]
    );

    assert!(app.api.bestsellers(None).await.unwrap().is_empty());
    let shopper = app.customer().await;
    let order = shopper
        .place_order(&order_of(vec![line(a.id, 3), line(b.id, 1)]), None)
        .await
        .unwrap()
        .value;
    let top = app.api.bestsellers(Some(5)).await.unwrap();
    assert_eq!(
        top.iter()
            .map(|t| (t.book.id, t.units_sold))
            .collect::<Vec<_>>(),
        vec![(a.id, 3), (b.id, 1)]
    );
    // Net of returns: with all 3 copies of Alpha back, it has sold nothing and leaves the list.
    app.deliver(order.id).await;
    app.return_received(&shopper, order.id, &return_of(vec![line(a.id, 3)]))
        .await;
    let top = app.api.bestsellers(Some(5)).await.unwrap();
    assert_eq!(
        top.iter()
            .map(|t| (t.book.id, t.units_sold))
            .collect::<Vec<_>>(),
        vec![(b.id, 1)]
    );
}

#[tokio::test]
async fn cursors_are_tamper_proof_and_bound_to_their_listing() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.book(&format!("Book {i}"), 1).await;
    }
    let page = app
        .api
        .list_books(&BookQuery {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let cursor = page.next_cursor.unwrap();
    let mut forged = cursor.clone();
    forged.insert(
        3,
        if forged.as_bytes()[3] == b'A' {
            'B'
        } else {
            'A'
        },
    );
    for bad in [forged.as_str(), "garbage", "e30.AAAA"] {
        let q = BookQuery {
            cursor: Some(bad.into()),
            ..Default::default()
        };
        assert_eq!(
            code_of(app.api.list_books(&q).await),
            (400, ProblemCode::InvalidCursor),
            "{bad}"
        );
    }
    // A cursor of the title listing is refused by the price listing.
    let q = BookQuery {
        cursor: Some(cursor),
        sort: Some(BookSort::PriceAsc),
        ..Default::default()
    };
    assert_eq!(
        code_of(app.api.list_books(&q).await),
        (400, ProblemCode::InvalidCursor)
    );
}

/// The whole tag of a cursor is checked: cut to one byte it is refused, and none of the 256
/// one-byte tags carries a chosen body (a start key in another partition) to the store.
#[tokio::test]
async fn a_cursor_with_a_cut_tag_is_refused_and_no_short_tag_forges_one() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.book(&format!("Tagged {i}"), 1).await;
    }
    let first = BookQuery {
        limit: Some(1),
        ..Default::default()
    };
    let cursor = app
        .api
        .list_books(&first)
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    let (body, tag) = cursor.split_once('.').unwrap();
    let listing = |cursor: String| BookQuery {
        cursor: Some(cursor),
        ..first.clone()
    };
    let cut = format!("{body}.{}", B64.encode(&B64.decode(tag).unwrap()[..1]));
    assert_eq!(
        code_of(app.api.list_books(&listing(cut)).await),
        (400, ProblemCode::InvalidCursor)
    );
    let mut forged: serde_json::Value = serde_json::from_slice(&B64.decode(body).unwrap()).unwrap();
    forged["k"] =
        serde_json::json!({"pk": "USER#x", "sk": "USER", "cat": "USERS", "title_key": "a"});
    let forged = B64.encode(forged.to_string());
    for byte in 0..=u8::MAX {
        let guess = format!("{forged}.{}", B64.encode([byte]));
        assert_eq!(
            code_of(app.api.list_books(&listing(guess)).await),
            (400, ProblemCode::InvalidCursor),
            "tag byte {byte}"
        );
    }
}

#[tokio::test]
async fn bad_query_parameters_are_400_problems() {
    let app = TestApp::spawn().await;
    for q in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=-1",
        "sort=cheapest",
        "genre=Not%20A%20Slug!",
        "unknown=1",
    ] {
        let res = app
            .http
            .get(app.url(&format!("/api/v1/books?{q}")))
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "invalid_query").await;
    }
    let res = app
        .http
        .get(app.url("/api/v1/bestsellers?limit=1000"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_query").await;
    let res = app
        .http
        .get(app.url("/api/v1/books/not-a-uuid"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "invalid_id").await;
}

/// Every valid title fits the stores' keys: 300 four-byte letters made a title sort key over
/// DynamoDB's 1,024 bytes (a 500 there); the sort key keeps the title's first 512 bytes, and
/// search words their first 64 characters.
#[tokio::test]
async fn the_widest_valid_title_is_stored_listed_and_found() {
    let app = TestApp::spawn().await;
    let title = "\u{1d400}".repeat(300);
    let book = app
        .admin
        .admin_create_book(&new_book(&title, "Wide Author", "fiction", 100, 1))
        .await
        .expect("a valid title is stored");
    assert_eq!(
        app.api.get_book(book.id).await.unwrap().title.as_str(),
        title
    );
    let q = |q: &str| BookQuery {
        q: Some(q.into()),
        ..Default::default()
    };
    let found = app
        .api
        .list_books(&q(&"\u{1d400}".repeat(70)))
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|b| b.id).collect::<Vec<_>>(),
        [book.id]
    );
    let listed = app.api.list_books(&BookQuery::default()).await.unwrap();
    assert!(listed.items.iter().any(|b| b.id == book.id));
}
