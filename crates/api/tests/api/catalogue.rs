use crate::helpers::*;
use bookstore_model::*;
use std::collections::HashSet;

async fn collect_all(app: &TestApp, q: BookQuery) -> Vec<Book> {
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
fn assert_each_once_in_order(books: &[Book], expected: &HashSet<BookId>, sort: BookSort) {
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
async fn search_matches_title_author_and_isbn_case_insensitively() {
    let app = TestApp::spawn().await;
    let moby = app
        .admin
        .admin_create_book(&new_book(
            "Moby-Dick; or, The Whale",
            "Herman Melville",
            "adventure",
            1200,
            5,
        ))
        .await
        .unwrap();
    let bartleby = app
        .admin
        .admin_create_book(&new_book(
            "Bartleby, the Scrivener",
            "Herman Melville",
            "fiction",
            800,
            5,
        ))
        .await
        .unwrap();
    let _other = app
        .admin
        .admin_create_book(&new_book(
            "Walden",
            "Henry David Thoreau",
            "philosophy",
            900,
            5,
        ))
        .await
        .unwrap();
    let search = |q: &str, genre: Option<&str>| {
        let q = BookQuery {
            q: Some(q.into()),
            genre: genre.map(Into::into),
            ..Default::default()
        };
        let api = app.api.clone();
        async move {
            api.list_books(&q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|b| b.id)
                .collect::<HashSet<_>>()
        }
    };
    assert_eq!(search("WHALE", None).await, HashSet::from([moby.id]));
    assert_eq!(
        search("melv", None).await,
        HashSet::from([moby.id, bartleby.id])
    );
    assert_eq!(
        search("herman scriv", None).await,
        HashSet::from([bartleby.id])
    );
    assert_eq!(
        search("melville", Some("adventure")).await,
        HashSet::from([moby.id])
    );
    let isbn = moby.isbn.as_str();
    let hyphenated = format!("{}-{}-{}", &isbn[..3], &isbn[3..8], &isbn[8..]);
    assert_eq!(search(&hyphenated, None).await, HashSet::from([moby.id]));
    // A book with an ISBN-13 from an ISBN-10 (978 + its digits) is found by either, as
    // printed on the book.
    let mut pride = new_book("Pride and Prejudice", "Jane Austen", "fiction", 900, 5);
    pride.isbn = bookstore_model::Isbn::parse("978-0-14-143951-8").unwrap();
    let pride = app.admin.admin_create_book(&pride).await.unwrap();
    assert_eq!(
        search("0-14-143951-3", None).await,
        HashSet::from([pride.id])
    );
    assert_eq!(search("0141439513", None).await, HashSet::from([pride.id]));
    assert_eq!(
        search("9780141439518", None).await,
        HashSet::from([pride.id])
    );
    // A run of digits is still a prefix of ISBN-13s.
    assert_eq!(search("978014", None).await, HashSet::from([pride.id]));
    assert!(search("zzzz", None).await.is_empty());

    // Search results page too, each once.
    let q = BookQuery {
        q: Some("melville".into()),
        limit: Some(1),
        sort: Some(BookSort::PriceAsc),
        ..Default::default()
    };
    let seen: Vec<BookId> = collect_all(&app, q).await.iter().map(|b| b.id).collect();
    assert_eq!(seen, vec![bartleby.id, moby.id]);
}

/// With a maximum age, an instance serves the ranking it computed until it expires, then
/// computes it afresh; `limit` is cut from the cached list.
#[tokio::test]
async fn bestsellers_are_served_from_a_short_lived_ranking() {
    let app = TestApp::spawn_with(|s| s.bestsellers_max_age_ms = 2000).await;
    let a = app.book("Alpha", 10).await;
    let b = app.book("Beta", 10).await;
    let shopper = app.customer().await;
    shopper
        .place_order(&order_of(vec![line(a.id, 2)]), None)
        .await
        .unwrap();
    let ids = |top: Vec<bookstore_model::Bestseller>| {
        top.iter()
            .map(|t| (t.book.id, t.units_sold))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(app.api.bestsellers(Some(5)).await.unwrap()),
        vec![(a.id, 2)]
    );
    shopper
        .place_order(&order_of(vec![line(b.id, 3)]), None)
        .await
        .unwrap();
    // Within the maximum age: the ranking computed before the second sale.
    assert_eq!(
        ids(app.api.bestsellers(Some(5)).await.unwrap()),
        vec![(a.id, 2)]
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        ids(app.api.bestsellers(Some(5)).await.unwrap()),
        vec![(b.id, 3), (a.id, 2)]
    );
    assert_eq!(
        ids(app.api.bestsellers(Some(1)).await.unwrap()),
        vec![(b.id, 3)]
    );
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
    shopper
        .create_return(order.id, &return_of(vec![line(a.id, 3)]))
        .await
        .unwrap();
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

/// Genre counts are cached per instance, but the instance that changes the catalogue forgets
/// its counts at once: its next reader sees the change (create, a genre change, delete).
#[tokio::test]
async fn cached_genre_counts_follow_this_instances_catalogue_changes() {
    let app = TestApp::spawn_with(|s| s.genres_max_age_ms = 60_000).await;
    let counts = |list: Vec<GenreCount>| {
        list.into_iter()
            .map(|g| (g.genre.as_str().to_owned(), g.count))
            .collect::<Vec<_>>()
    };
    let a = app.book("Alpha", 1).await;
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("fiction".into(), 1)]
    );
    let b = app.book("Beta", 1).await;
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("fiction".into(), 2)]
    );
    app.admin
        .admin_update_book(
            b.id,
            b.version,
            &new_details("Beta", "A. Author", "history", 500),
        )
        .await
        .unwrap();
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("fiction".into(), 1), ("history".into(), 1)]
    );
    app.admin.admin_delete_book(a.id, None).await.unwrap();
    assert_eq!(
        counts(app.api.genres().await.unwrap()),
        [("history".into(), 1)]
    );
}

/// A search reads every match of its word, over as many store queries as that takes: no book is
/// dropped because its word is common, and every sort sees them all.
#[tokio::test]
async fn search_finds_every_match_of_a_common_word() {
    use futures::StreamExt;
    let app = TestApp::spawn().await;
    // More than two of the search's 500-item token reads; prices repeat, titles differ.
    let n = 1_100;
    let created: HashSet<BookId> = futures::stream::iter(0..n)
        .map(|i| {
            let admin = app.admin.clone();
            async move {
                let b = new_book(
                    &format!("Common Volume {i:04}"),
                    "Plentiful Author",
                    "fiction",
                    100 + (i * 7919) % 1000,
                    1,
                );
                admin.admin_create_book(&b).await.expect("create").id
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let other = app.book("Uncommon Title", 1).await;
    for sort in [BookSort::PriceAsc, BookSort::Title] {
        let q = BookQuery {
            q: Some("comm".into()),
            sort: Some(sort),
            limit: Some(100),
            ..Default::default()
        };
        let books = collect_all(&app, q).await;
        assert_each_once_in_order(&books, &created, sort);
        assert!(books.iter().all(|b| b.id != other.id));
    }
    // A second word narrows the same candidates.
    let q = BookQuery {
        q: Some("volume 0999 common".into()),
        ..Default::default()
    };
    let page = app.api.list_books(&q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].title.as_str(), "Common Volume 0999");
}

/// Search results are cached per instance, but the instance that changes the catalogue
/// forgets them at once: its next search sees the change (create, edit, delete).
#[tokio::test]
async fn cached_search_results_follow_this_instances_catalogue_changes() {
    let app = TestApp::spawn_with(|s| s.search_max_age_ms = 60_000).await;
    let search = |q: &str| {
        let q = BookQuery {
            q: Some(q.into()),
            sort: Some(BookSort::Title),
            ..Default::default()
        };
        let api = app.api.clone();
        async move {
            api.list_books(&q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|b| b.title.as_str().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let a = app.book("Cached Alpha", 1).await;
    assert_eq!(search("cached").await, ["Cached Alpha"]);
    // Two words: filtered from the candidates of the longer one, kept above.
    assert_eq!(search("cached alpha").await, ["Cached Alpha"]);
    let b = app.book("Cached Beta", 1).await;
    assert_eq!(search("cached").await, ["Cached Alpha", "Cached Beta"]);
    assert_eq!(search("cached beta").await, ["Cached Beta"]);
    app.admin
        .admin_update_book(
            b.id,
            b.version,
            &new_details("Renamed Beta", "A. Author", "fiction", 500),
        )
        .await
        .unwrap();
    assert_eq!(search("cached").await, ["Cached Alpha"]);
    assert!(search("cached beta").await.is_empty());
    assert_eq!(search("renamed").await, ["Renamed Beta"]);
    assert_eq!(search("renamed beta").await, ["Renamed Beta"]);
    assert_eq!(search("cached a").await, ["Cached Alpha"]);
    app.admin.admin_delete_book(a.id, None).await.unwrap();
    assert!(search("cached").await.is_empty());
}

async fn search_ids(app: &TestApp, q: &str) -> HashSet<BookId> {
    let q = BookQuery {
        q: Some(q.into()),
        limit: Some(100),
        ..Default::default()
    };
    collect_all(app, q)
        .await
        .into_iter()
        .map(|b| b.id)
        .collect()
}

/// A one-letter word matches every book with a word that starts with it, whatever the
/// word's second character (ASCII or not) and however long it is.
#[tokio::test]
async fn one_letter_words_find_their_books() {
    let app = TestApp::spawn().await;
    let mut p_books = HashSet::new();
    for (title, author) in [
        ("Persuasion", "Jane Austen"),
        ("P", "Anonymous"),
        ("Pöems of the Night", "Anonymous"),
        ("The 7 Lives", "Pat Cat"),
    ] {
        let book = app
            .admin
            .admin_create_book(&new_book(title, author, "fiction", 1000, 1))
            .await
            .unwrap();
        p_books.insert(book.id);
    }
    let other = app
        .admin
        .admin_create_book(&new_book("Walden", "Henry Thoreau", "fiction", 1000, 1))
        .await
        .unwrap();
    assert_eq!(search_ids(&app, "p").await, p_books);
    assert_eq!(search_ids(&app, "P").await, p_books, "case-insensitive");
    // (Not 9: every test ISBN starts with it.)
    assert_eq!(search_ids(&app, "7").await.len(), 1);
    assert_eq!(search_ids(&app, "pö").await.len(), 1);
    assert_eq!(search_ids(&app, "x").await, HashSet::new());
    let w: HashSet<BookId> = search_ids(&app, "w").await;
    assert_eq!(w, HashSet::from([other.id]));
    // Two one-letter words: both must start a word of the book.
    assert_eq!(search_ids(&app, "p j").await.len(), 1);
}

/// Every word of a title and its authors is findable, up to the documented 44 distinct words;
/// a book with more is refused with 422, never stored with words search silently skips.
#[tokio::test]
async fn every_word_of_a_long_author_list_is_searchable_within_the_limit() {
    let app = TestApp::spawn().await;
    // 20 authors of two words each and a 4-word title: 44 distinct words.
    let authors: Vec<String> = (0..20)
        .map(|i| format!("Author{i:02} Surname{i:02}"))
        .collect();
    let mut details = new_details("Many Voices Zzyzx Together", "x", "poetry", 1000);
    details.authors = authors
        .iter()
        .map(|a| AuthorName::parse(a).unwrap())
        .collect();
    let book = app
        .admin
        .admin_create_book(&NewBook::from_details(details.clone(), 1))
        .await
        .unwrap();
    // The alphabetically last words were the ones cut before.
    for word in [
        "voices",
        "zzyzx",
        "together",
        "surname19",
        "author00",
        "many",
    ] {
        assert_eq!(
            search_ids(&app, word).await,
            HashSet::from([book.id]),
            "{word}"
        );
    }
    // One word more is refused, on create and on edit.
    let mut more = details.clone();
    more.isbn = unique_isbn();
    more.title = Title::parse("Many Voices Zzyzx Together Again").unwrap();
    let err = app
        .admin
        .admin_create_book(&NewBook::from_details(more.clone(), 1))
        .await;
    assert_eq!(code_of(err), (422, ProblemCode::ValidationFailed));
    more.isbn = book.isbn.clone();
    let err = app.admin.admin_update_book(book.id, 1, &more).await;
    assert_eq!(code_of(err), (422, ProblemCode::ValidationFailed));
    // An edit that replaces every word (the largest transaction) works.
    let mut other = details.clone();
    other.title = Title::parse("Quite Different Title Here").unwrap();
    other.authors = (0..20)
        .map(|i| AuthorName::parse(&format!("Writer{i:02} Family{i:02}")).unwrap())
        .collect();
    let edited = app
        .admin
        .admin_update_book(book.id, 1, &other)
        .await
        .unwrap();
    assert_eq!(
        search_ids(&app, "family07").await,
        HashSet::from([edited.id])
    );
    assert!(search_ids(&app, "surname07").await.is_empty());
}
