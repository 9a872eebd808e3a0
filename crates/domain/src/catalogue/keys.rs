//! How the catalogue maps onto items: keys, search tokens and the index attributes.
use super::*;

pub fn book_key(id: BookId) -> Key {
    Key::new(format!("BOOK#{id}"), "BOOK")
}

pub(super) fn isbn_key(isbn: &str) -> Key {
    Key::new(format!("ISBN#{isbn}"), "ISBN")
}

pub(super) fn genre_key(genre: &Genre) -> Key {
    Key::new(GENRES, genre.as_str())
}

pub(super) fn token_key(token: &str, id: BookId) -> Key {
    Key::new(token_group(token), format!("{token}#{id}"))
}

/// The partition of a word's token items: its first character and its second, folded into
/// `[0-9a-z]` or `~` for any other, so that the groups a one-letter word's matches lie in are
/// few and known ([`lookup_groups`]).
pub(super) fn token_group(word: &str) -> String {
    let mut chars = word.chars();
    let mut group = String::from("TOK#");
    group.extend(chars.next());
    group.extend(
        chars
            .next()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '~' }),
    );
    group
}

/// The partitions that hold every token starting with `word`: its own group, or for a
/// one-letter word the letter's own group and all 37 that follow it.
pub(super) fn lookup_groups(word: &str) -> Vec<String> {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(first), None) => {
            let mut groups = vec![format!("TOK#{first}")];
            groups.extend(
                ('0'..='9')
                    .chain('a'..='z')
                    .chain(['~'])
                    .map(|c| format!("TOK#{first}{c}")),
            );
            groups
        }
        _ => vec![token_group(word)],
    }
}

/// Lower-cased words of `text` (see [`bookstore_model::search_words`]).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    bookstore_model::search_words(text)
}

/// A book's search tokens: every word of its title and authors (validation bounds them to
/// `MAX_BOOK_WORDS`; the cut only bounds books stored before that rule) and its ISBN.
pub(super) fn tokens(d: &BookDetails) -> BTreeSet<String> {
    let words = bookstore_model::book_words(
        d.title.as_str(),
        d.authors.iter().map(bookstore_model::AuthorName::as_str),
    );
    let mut out: BTreeSet<String> = words
        .into_iter()
        .take(bookstore_model::MAX_BOOK_WORDS)
        .collect();
    out.insert(d.isbn.to_string());
    out
}

pub(super) fn details_of(b: &Book) -> BookDetails {
    BookDetails {
        isbn: b.isbn.clone(),
        title: b.title.clone(),
        authors: b.authors.clone(),
        genre: b.genre.clone(),
        description: b.description.clone(),
        price_cents: b.price_cents,
        published_year: b.published_year,
    }
}

/// Bytes of a lower-cased title that the title index sorts by: any valid title (300
/// characters of up to 4 bytes each) keeps its sort key under DynamoDB's 1,024 bytes. Titles
/// alike in their first 512 bytes sort by id.
pub(super) const TITLE_SORT_BYTES: usize = 512;

pub(super) fn title_sort_prefix(title: &str) -> String {
    let mut key = title.to_lowercase();
    if key.len() > TITLE_SORT_BYTES {
        let mut end = TITLE_SORT_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// The index attributes derived from a book's details.
pub(super) fn derived_attrs(b: &Book) -> [(&'static str, Value); 4] {
    [
        ("cat", CATALOGUE.into()),
        ("genre_key", b.genre.as_str().into()),
        (
            "title_key",
            format!("{}\u{1}{}", title_sort_prefix(b.title.as_str()), b.id).into(),
        ),
        (
            "created_key",
            format!("{}#{}", time_key(b.created_at), b.id).into(),
        ),
    ]
}

/// The search-token items of a book. Each carries what search filters and sorts by (genre,
/// sort keys, all the book's words), so that a search reads token items only and then just the
/// books of the page it returns.
pub(super) fn token_ops(new: Option<&Book>, old: Option<&Book>) -> Vec<WriteOp> {
    let new_tokens = new.map(|b| tokens(&details_of(b))).unwrap_or_default();
    let mut ops = Vec::new();
    if let Some(old) = old {
        for t in tokens(&details_of(old)).difference(&new_tokens) {
            ops.push(WriteOp::Delete {
                key: token_key(t, old.id),
                cond: None,
            });
        }
    }
    if let Some(book) = new {
        let words = new_tokens.iter().cloned().collect::<Vec<_>>().join(" ");
        for t in &new_tokens {
            let mut item = crate::store::expr::key_item(&token_key(t, book.id));
            item.insert("book_id".into(), book.id.to_string().into());
            item.insert("words".into(), words.clone().into());
            // Named apart from the index keys, so token items stay out of every listing index.
            item.insert("genre".into(), book.genre.as_str().into());
            item.insert("price".into(), book.price_cents.get().into());
            item.insert("title".into(), book.title.as_str().to_lowercase().into());
            item.insert("created".into(), time_key(book.created_at).into());
            ops.push(WriteOp::Put { item, cond: None });
        }
    }
    ops
}

pub(super) fn genre_op(genre: &Genre, delta: i64) -> WriteOp {
    WriteOp::Update {
        key: genre_key(genre),
        set: vec![(Path::attr("genre"), genre.as_str().into())],
        add: vec![(Path::attr("count"), delta)],
        cond: None,
    }
}
