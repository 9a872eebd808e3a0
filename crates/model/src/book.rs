use crate::{
    AuthorName, BookId, Currency, Description, Genre, Isbn, PriceCents, Title, ValidationError,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A book in the catalogue, as every client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Book {
    pub id: BookId,
    pub isbn: Isbn,
    pub title: Title,
    pub authors: Vec<AuthorName>,
    pub genre: Genre,
    pub description: Description,
    pub price_cents: PriceCents,
    /// The shop's currency (its setting `currency`; `GET /api/v1/shipping-options` says it
    /// too): every book is priced in it. Read-only: book requests do not carry it.
    #[schema(read_only)]
    pub currency: Currency,
    /// Copies available to buy now.
    pub stock: i64,
    pub published_year: i32,
    /// Bumped by every admin edit of the details; send it back in `If-Match` to update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The editable details of a book: the body of `PUT /api/v1/admin/books/{id}`.
///
/// Stock is not part of it: stock moves only by orders, returns and
/// `POST /api/v1/admin/books/{id}/stock`, so an edit can never overwrite a concurrent sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookDetails {
    pub isbn: Isbn,
    pub title: Title,
    /// 1 to 20 names. Every word of the title and the authors is searchable: together they
    /// may have at most 44 distinct words (case-insensitive; words split at anything not a
    /// letter or digit), or the book is refused with 422.
    #[schema(min_items = 1, max_items = 20)]
    pub authors: Vec<AuthorName>,
    pub genre: Genre,
    #[serde(default = "empty_description")]
    #[schema(default = "")]
    pub description: Description,
    /// In minor units of the shop's currency, the one currency of every price: a book has no
    /// currency of its own (a `currency` field is refused, 422 `validation_failed`).
    pub price_cents: PriceCents,
    #[schema(minimum = -3000, maximum = 2100)]
    pub published_year: i32,
}

fn empty_description() -> Description {
    // An empty description is always valid.
    Description::parse("").unwrap_or_else(|_| unreachable!())
}

impl BookDetails {
    /// Checks what serde alone cannot: the author list and the year.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.authors.is_empty() || self.authors.len() > 20 {
            return Err(ValidationError::new("authors must list 1 to 20 names"));
        }
        // Every word is searchable, so their number is bounded (see `MAX_BOOK_WORDS`).
        let words = crate::search::book_words(
            self.title.as_str(),
            self.authors.iter().map(AuthorName::as_str),
        )
        .len();
        if words > crate::search::MAX_BOOK_WORDS {
            return Err(ValidationError::new(format!(
                "title and authors have {words} distinct words; at most {} are allowed",
                crate::search::MAX_BOOK_WORDS
            )));
        }
        if !(-3000..=2100).contains(&self.published_year) {
            return Err(ValidationError::new(
                "published_year must be between -3000 and 2100",
            ));
        }
        Ok(())
    }
}

/// The body of `POST /api/v1/admin/books`: the details and the initial stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBook {
    pub isbn: Isbn,
    pub title: Title,
    /// 1 to 20 names.
    #[schema(min_items = 1, max_items = 20)]
    pub authors: Vec<AuthorName>,
    pub genre: Genre,
    #[serde(default = "empty_description")]
    #[schema(default = "")]
    pub description: Description,
    /// In minor units of the shop's currency, the one currency of every price: a book has no
    /// currency of its own (a `currency` field is refused, 422 `validation_failed`).
    pub price_cents: PriceCents,
    #[schema(minimum = -3000, maximum = 2100)]
    pub published_year: i32,
    /// Initial stock.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: i64,
}

impl NewBook {
    pub fn from_details(d: BookDetails, stock: i64) -> Self {
        Self {
            isbn: d.isbn,
            title: d.title,
            authors: d.authors,
            genre: d.genre,
            description: d.description,
            price_cents: d.price_cents,
            published_year: d.published_year,
            stock,
        }
    }

    pub fn details(&self) -> BookDetails {
        BookDetails {
            isbn: self.isbn.clone(),
            title: self.title.clone(),
            authors: self.authors.clone(),
            genre: self.genre.clone(),
            description: self.description.clone(),
            price_cents: self.price_cents,
            published_year: self.published_year,
        }
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        self.details().validate()?;
        if !(0..=1_000_000).contains(&self.stock) {
            return Err(ValidationError::new("stock must be between 0 and 1000000"));
        }
        Ok(())
    }
}

/// The body of `POST /api/v1/admin/books/{id}/stock`: a restock (positive) or a write-off
/// (negative). Stock never goes below zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockAdjustment {
    /// Copies added (positive) or written off (negative); never 0.
    #[schema(schema_with = crate::schema::stock_delta)]
    pub delta: i64,
    /// Why, for the audit log: 1 to 500 characters once trimmed; no control characters but
    /// line feeds.
    #[serde(default)]
    #[schema(schema_with = crate::schema::stock_reason)]
    pub reason: Option<String>,
}

impl StockAdjustment {
    pub fn validate(&self) -> Result<(), ValidationError> {
        // unsigned_abs: i64::MIN has no i64 absolute value.
        if !(1..=1_000_000).contains(&self.delta.unsigned_abs()) {
            return Err(ValidationError::new(
                "delta must be non-zero and at most 1000000 in size",
            ));
        }
        if let Some(r) = &self.reason {
            crate::validate::bounded_text(r, "reason", 500)?;
        }
        Ok(())
    }
}

/// How to order a catalogue listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum BookSort {
    #[default]
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "price")]
    PriceAsc,
    #[serde(rename = "-price")]
    PriceDesc,
    #[serde(rename = "newest")]
    Newest,
}

impl BookSort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::PriceAsc => "price",
            Self::PriceDesc => "-price",
            Self::Newest => "newest",
        }
    }
}

/// The longest search text `q`, in characters. Each of its words is a key prefix in the store:
/// 200 characters are at most 800 bytes of UTF-8, under DynamoDB's 1,024 for a sort key.
pub const MAX_QUERY_CHARS: usize = 200;

/// Query parameters of `GET /api/v1/books`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BookQuery {
    /// Words to find in the title or an author's name (each word matches the start of a word,
    /// case-insensitively), or an ISBN (hyphens allowed). Every match is found; which books
    /// match may lag a catalogue edit by a few seconds (the books on a page are current).
    /// At most 200 characters (`MAX_QUERY_CHARS`); longer is 400 `invalid_query`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only books of this genre: letters, digits and single hyphens, 1 to 40 characters once
    /// trimmed (blank: every genre).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(schema_with = crate::schema::genre_query)]
    pub genre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub sort: Option<BookSort>,
    /// Page size, 1..=100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A genre and how many books it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GenreCount {
    pub genre: Genre,
    pub count: i64,
}

/// A genre to add to the shop's list (`POST /api/v1/admin/genres`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGenre {
    pub genre: Genre,
}

/// A book and the copies sold, net of returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Bestseller {
    pub book: Book,
    pub units_sold: i64,
}
