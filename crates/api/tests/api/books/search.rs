//! `GET /api/v1/books?q=`: search by title, author and ISBN words.
use super::{assert_each_once_in_order, collect_all};
use crate::helpers::*;
use bookstore_model::*;
use std::collections::HashSet;

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

/// The search text is bounded at the edge (a word of it is a key in the store, and DynamoDB's
/// keys are at most 1 KB): over 200 characters is 400 `invalid_query`, on every back end, for
/// words, digits and ISBN-like text alike; 200 characters of 4-byte letters still search.
#[tokio::test]
async fn a_search_text_over_200_characters_is_refused_at_the_edge() {
    let app = TestApp::spawn().await;
    app.book("Bounded Search", 1).await;
    let search = |q: String| {
        let url = app.url("/api/v1/books");
        let req = app.http.get(url).query(&[("q", q)]);
        async move { req.send().await.unwrap() }
    };
    for q in [
        "a".repeat(10_000),
        "9".repeat(10_000),
        format!("978-{}", "97".repeat(5_000)),
        "b".repeat(201),
        "word ".repeat(40) + "x",
    ] {
        let res = search(q.clone()).await;
        let body = assert_problem(res, 400, "invalid_query").await;
        assert!(body["detail"].as_str().unwrap().contains("200"), "{body}");
    }
    // 200 characters of 4 bytes each: an 800-byte word, within DynamoDB's key limits.
    for q in [
        "\u{1d400}".repeat(200),
        "9".repeat(200),
        "bounded ".repeat(25),
        format!("978-{}", "9".repeat(196)),
    ] {
        let res = search(q.clone()).await;
        assert_eq!(res.status().as_u16(), 200, "{q}");
    }
}
