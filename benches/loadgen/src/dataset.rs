//! The dataset generator: a synthetic catalogue of N books loaded through the admin API, and M
//! customer accounts registered through the public API. Deterministic for a seed; loading
//! twice is harmless (taken ISBNs and e-mails are skipped).
use crate::rng::Rng;
use anyhow::{Context, bail};
use bookstore_client::Client;
use bookstore_model::{
    AuthorName, Description, Email, Genre, Isbn, NewBook, Password, PersonName, PriceCents,
    ProblemCode, RegisterRequest, Title, validate::isbn13_check_digit,
};
use futures::StreamExt;
use std::time::Instant;

/// Words of generated titles; the shoppers search for them too.
pub const TITLE_WORDS: &[&str] = &[
    "amber",
    "anchor",
    "autumn",
    "beacon",
    "bitter",
    "blue",
    "bridge",
    "broken",
    "burning",
    "candle",
    "castle",
    "cedar",
    "chamber",
    "city",
    "clock",
    "cloud",
    "copper",
    "crimson",
    "crown",
    "dark",
    "dawn",
    "deep",
    "desert",
    "distant",
    "dragon",
    "dream",
    "drift",
    "dust",
    "echo",
    "ember",
    "empire",
    "evening",
    "falcon",
    "fallen",
    "field",
    "fire",
    "forest",
    "forgotten",
    "frost",
    "garden",
    "gate",
    "ghost",
    "glass",
    "golden",
    "harbor",
    "harvest",
    "hidden",
    "hollow",
    "horizon",
    "hunter",
    "iron",
    "island",
    "ivory",
    "journey",
    "kingdom",
    "lantern",
    "last",
    "letter",
    "light",
    "lion",
    "lost",
    "map",
    "marble",
    "meadow",
    "memory",
    "midnight",
    "mirror",
    "moon",
    "mountain",
    "night",
    "north",
    "ocean",
    "orchard",
    "paper",
    "patient",
    "pearl",
    "quiet",
    "raven",
    "red",
    "river",
    "road",
    "rose",
    "salt",
    "secret",
    "shadow",
    "silent",
    "silver",
    "sky",
    "snow",
    "song",
    "spring",
    "star",
    "stone",
    "storm",
    "summer",
    "sun",
    "thread",
    "tide",
    "tower",
    "traveler",
    "valley",
    "velvet",
    "voyage",
    "war",
    "water",
    "wild",
    "willow",
    "wind",
    "winter",
    "wolf",
    "wonder",
    "year",
];

const FIRST_NAMES: &[&str] = &[
    "Ada", "Alan", "Alice", "Amara", "Bea", "Boris", "Carla", "Chen", "Dana", "Dmitri", "Elena",
    "Emeka", "Farah", "Felix", "Greta", "Hugo", "Ines", "Ivan", "Jana", "Jonas", "Kaito", "Lena",
    "Liam", "Maya", "Milan", "Nadia", "Noor", "Omar", "Petra", "Quinn", "Rosa", "Sami", "Sofia",
    "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zoe", "Zoran",
];

const LAST_NAMES: &[&str] = &[
    "Abbott",
    "Achebe",
    "Berg",
    "Brandt",
    "Castillo",
    "Dahl",
    "Duarte",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Holm",
    "Ibsen",
    "Jansen",
    "Kato",
    "Kowalski",
    "Larsen",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Petrov",
    "Quist",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Torres",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zeller",
];

pub const GENRES: &[&str] = &[
    "fiction",
    "mystery",
    "fantasy",
    "science-fiction",
    "history",
    "biography",
    "poetry",
    "romance",
    "thriller",
    "travel",
    "science",
    "philosophy",
    "children",
    "cooking",
    "art",
    "business",
];

/// Everything that defines a dataset.
#[derive(Debug, Clone)]
pub struct DatasetSpec {
    pub books: usize,
    pub customers: usize,
    /// Initial stock of each book is drawn uniformly from this range.
    pub stock: (i64, i64),
    pub seed: u64,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        Self {
            books: 10_000,
            customers: 200,
            stock: (20_000, 50_000),
            seed: 42,
        }
    }
}

/// The e-mail and password of generated customer `i`.
pub fn customer(i: usize) -> (String, String) {
    (
        format!("shopper-{i}@loadgen.example"),
        format!("loadgen-password-{i}"),
    )
}

fn cap(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Book `i` of the dataset with `seed`.
pub fn book(i: usize, spec: &DatasetSpec) -> anyhow::Result<NewBook> {
    let mut rng = Rng::new(spec.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let words = rng.between(2, 4);
    let title: Vec<String> = (0..words).map(|_| cap(rng.pick(TITLE_WORDS))).collect();
    let n_authors = if rng.below(5) == 0 { 2 } else { 1 };
    let authors = (0..n_authors)
        .map(|_| {
            AuthorName::parse(&format!(
                "{} {}",
                rng.pick(FIRST_NAMES),
                rng.pick(LAST_NAMES)
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // 978 + 9 digits derived from the seed and the index + the check digit.
    let body = format!("978{:09}", (spec.seed % 900 + 100) * 1_000_000 + i as u64);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    let isbn = format!("{body}{}", isbn13_check_digit(&digits));
    let description = format!(
        "A {} tale of the {} {} and the {} {}, told across {} chapters.",
        rng.pick(TITLE_WORDS),
        rng.pick(TITLE_WORDS),
        rng.pick(TITLE_WORDS),
        rng.pick(TITLE_WORDS),
        rng.pick(TITLE_WORDS),
        rng.between(5, 60)
    );
    Ok(NewBook {
        isbn: Isbn::parse(&isbn)?,
        title: Title::parse(&title.join(" "))?,
        authors,
        genre: Genre::parse(rng.pick(GENRES))?,
        description: Description::parse(&description)?,
        price_cents: PriceCents::parse(rng.between(299, 4999))?,
        published_year: rng.between(1900, 2025) as i32,
        stock: rng.between(spec.stock.0, spec.stock.1),
    })
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct LoadSummary {
    pub books_created: usize,
    pub books_existing: usize,
    pub customers_created: usize,
    pub customers_existing: usize,
    pub seconds: f64,
}

/// Loads the dataset into the shop at `admin.base()`; `admin` carries an admin token.
/// Puts [`GENRES`] on the shop's list: a book's genre must be on it (an owner's token adds
/// them; a listed one stays).
pub async fn add_genres(admin: &Client) -> anyhow::Result<()> {
    for g in GENRES {
        match admin.admin_add_genre(&Genre::parse(g)?).await {
            Ok(_) => {}
            Err(e) if e.code() == Some(ProblemCode::GenreExists) => {}
            Err(e) => return Err(anyhow::anyhow!("adding the genre {g}: {e}")),
        }
    }
    Ok(())
}

pub async fn load(
    admin: &Client,
    spec: &DatasetSpec,
    concurrency: usize,
    quiet: bool,
) -> anyhow::Result<LoadSummary> {
    let started = Instant::now();
    let mut summary = LoadSummary::default();
    add_genres(admin).await?;
    let mut results = futures::stream::iter(0..spec.books)
        .map(|i| async move {
            let new = book(i, spec)?;
            match admin.admin_create_book(&new).await {
                Ok(_) => Ok(true),
                Err(e) if e.code() == Some(ProblemCode::IsbnTaken) => Ok(false),
                Err(e) => Err(anyhow::anyhow!("creating book {i}: {e}")),
            }
        })
        .buffer_unordered(concurrency.max(1));
    let mut done = 0;
    while let Some(r) = results.next().await {
        if r? {
            summary.books_created += 1;
        } else {
            summary.books_existing += 1;
        }
        done += 1;
        if !quiet && done % 5_000 == 0 {
            eprintln!(
                "dataset: {done}/{} books ({:.0}/s)",
                spec.books,
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let public = Client::with_http(reqwest::Client::new(), admin.base());
    let mut results = futures::stream::iter(0..spec.customers)
        .map(|i| {
            let public = public.clone();
            async move {
                let (email, password) = customer(i);
                let req = RegisterRequest {
                    email: Email::parse(&email)?,
                    password: Password::parse(&password)?,
                    name: PersonName::parse(&format!("Shopper {i}"))?,
                };
                match public.register(&req).await {
                    Ok(_) => Ok(true),
                    Err(e) if e.code() == Some(ProblemCode::EmailTaken) => Ok(false),
                    Err(e) => Err(anyhow::anyhow!("registering customer {i}: {e}")),
                }
            }
        })
        // Registration hashes a password (Argon2, deliberately slow): a few at a time.
        .buffer_unordered(concurrency.clamp(1, 8));
    while let Some(r) = results.next().await {
        if r? {
            summary.customers_created += 1;
        } else {
            summary.customers_existing += 1;
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Logs in as the admin.
pub async fn admin_client(base: &str, email: &str, password: &str) -> anyhow::Result<Client> {
    let public = Client::new(base);
    let auth = public
        .login(email, password)
        .await
        .with_context(|| format!("admin login as {email} at {base}"))?;
    // Owners: the outbox scenario manages a webhook too.
    if auth.user.role != bookstore_model::Role::Owner {
        bail!("{email} is not an owner");
    }
    Ok(public.authed(auth.token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_are_valid_distinct_and_deterministic() {
        let spec = DatasetSpec::default();
        let a = book(1, &spec).unwrap();
        assert_eq!(a, book(1, &spec).unwrap());
        assert!(a.validate().is_ok());
        let isbns: std::collections::HashSet<_> =
            (0..2000).map(|i| book(i, &spec).unwrap().isbn).collect();
        assert_eq!(isbns.len(), 2000);
    }
}
