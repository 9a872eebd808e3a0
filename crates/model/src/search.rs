//! How search splits text into words. The server indexes every word of a book's title and
//! authors this way, and book validation bounds how many there are, so both must agree.
use std::collections::BTreeSet;

/// The most distinct words a book's title and authors may have together. Each is a token item
/// written in the book's transactions; an edit that replaces them all writes twice this many
/// (deletes and puts), and with the book, its ISBN claims, genre counters and audit entry
/// that must stay within a store transaction's 100 items, with room to spare.
pub const MAX_BOOK_WORDS: usize = 44;

/// Characters of a word that search tells apart: longer words are cut here, in books and in
/// queries alike, so an index key stays far below DynamoDB's 1,024-byte sort-key limit.
pub const MAX_WORD_CHARS: usize = 64;

/// Lower-cased words of `text`, split at anything that is not a letter or digit, each cut to
/// [`MAX_WORD_CHARS`].
pub fn search_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .take(MAX_WORD_CHARS)
                .collect::<String>()
                .to_lowercase()
        })
}

/// The distinct search words of a title and its authors.
pub fn book_words<'a>(
    title: &'a str,
    authors: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = search_words(title).collect();
    for a in authors {
        out.extend(search_words(a));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_split_and_cut() {
        let w: Vec<String> = search_words("Pride-and PREJUDICE, vol.2 — Émile").collect();
        assert_eq!(w, ["pride", "and", "prejudice", "vol", "2", "émile"]);
        let long = "x".repeat(300);
        assert_eq!(
            search_words(&long).next().map(|w| w.len()),
            Some(MAX_WORD_CHARS)
        );
        let words = book_words("A b a", ["B c", "d"]);
        assert_eq!(words.into_iter().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }
}
