//! The demo catalogue: 300 public-domain classics, loaded by `bookstore seed` and, in dev mode,
//! into an empty store at start.
use bookstore_domain::{Actor, Catalogue, Error};
use bookstore_model::Role;
use bookstore_model::{NewBook, ProblemCode};
use futures::{StreamExt, TryStreamExt, stream};

const CATALOGUE: &str = include_str!("seed/catalogue.json");

pub fn demo_books() -> anyhow::Result<Vec<NewBook>> {
    Ok(serde_json::from_str(CATALOGUE)?)
}

/// Adds every demo book whose ISBN is not in the store yet; returns how many were added.
pub async fn load_demo(catalogue: &Catalogue) -> anyhow::Result<usize> {
    let actor = system_actor();
    let books = demo_books()?;
    // Its genres first: a book's genre must be on the shop's list.
    let genres: std::collections::BTreeSet<_> =
        books.iter().map(|b| b.details().genre.clone()).collect();
    for genre in genres {
        match catalogue.add_genre(&actor, genre).await {
            Ok(_) | Err(Error::Conflict(ProblemCode::GenreExists, _)) => {}
            Err(e) => return Err(anyhow::anyhow!("seeding genres: {e}")),
        }
    }
    // Concurrent creates share the embedded store's group commits.
    let added: Vec<bool> = stream::iter(books)
        .map(|book| {
            let actor = &actor;
            async move {
                match catalogue.create(actor, book).await {
                    Ok(_) => Ok(true),
                    Err(Error::Conflict(ProblemCode::IsbnTaken, _)) => Ok(false),
                    Err(e) => Err(anyhow::anyhow!("seeding: {e}")),
                }
            }
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    Ok(added.into_iter().filter(|a| *a).count())
}

/// The actor recorded in the audit log for changes made by the server itself (seeding).
pub fn system_actor() -> Actor {
    Actor {
        id: bookstore_model::UserId(uuid::Uuid::nil()),
        email: "system".into(),
        role: Role::Owner,
    }
}
