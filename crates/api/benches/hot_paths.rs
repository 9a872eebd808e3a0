//! Criterion micro-benchmarks of the hot paths the HTTP profiles point at:
//!
//! - a catalogue page: 20 stored book items turned into the response body, with the book-JSON
//!   cache cold (parse, validate, serialise each book) and warm (what a repeated page costs);
//! - access-token verification (every authenticated request);
//! - embedded-store reads of one item and of 20 (`batch_get`): item-cache hits once warm, the
//!   path every catalogue read takes;
//! - a password hash (every login and registration) at each of OWASP's Argon2id costs, into
//!   the hashing thread's kept memory, and at the default cost through the `argon2` crate's own
//!   path, which allocates the memory per hash;
//! - the embedded store's TTL compaction filter on one stored item: every record of the items
//!   keyspace passes through it at every compaction (an order, which names no `ttl`; an
//!   idempotency record, which does and is parsed).
//!
//! `cargo bench -p bookstore-api --bench hot_paths` (see benches/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark fails loudly.
use bookstore_api::domain::catalogue::BookJsonCache;
use bookstore_api::domain::tokens::Tokens;
use bookstore_api::store::embedded::EmbeddedStore;
use bookstore_api::store::{Key, RawItem, Store, WriteOp};
use bookstore_model::{Book, Currency, Page, User};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

/// A book item as the store holds it: the book's fields plus the key and index attributes.
fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn stored_book(n: usize) -> Vec<u8> {
    let book: Book = serde_json::from_value(json!({
        "id": format!("7d22cd50-2ee8-44c3-a579-{:012x}", n),
        "isbn": "9781420027341",
        "title": format!("Amber Autumn Fallen Fire {n}"),
        "authors": ["Hugo Sato", "Elena Jansen"],
        "genre": "art",
        "description": "A patient tale of the spring hollow and the candle beacon, told across 58 chapters.",
        "price_cents": 4664,
        "currency": "USD",
        "stock": 32390,
        "published_year": 1990,
        "version": 1,
        "created_at": "2026-11-24T17:18:28.920862110Z",
        "updated_at": "2026-11-24T17:18:28.920862110Z"
    }))
    .unwrap();
    let mut item = bookstore_api::domain::items::to_item(&book).unwrap();
    for (k, v) in [
        ("pk", json!(format!("BOOK#{}", book.id))),
        ("sk", json!("BOOK")),
        ("cat", json!("BOOKS")),
        ("title_key", json!(format!("amber autumn fallen fire {n}"))),
        ("genre_key", json!("GENRE#art")),
        ("created_key", json!("2026-11-24T17:18:28.920862110Z")),
        ("sold_shard", json!("SOLD#3")),
        ("sold", json!(0)),
    ] {
        item.insert(k.into(), v);
    }
    serde_json::to_vec(&item).unwrap()
}

fn page_of(cache: &BookJsonCache, raws: &[RawItem]) -> Vec<u8> {
    let items = raws.iter().map(|r| cache.of(r).unwrap()).collect();
    serde_json::to_vec(&Page {
        items,
        next_cursor: Some("eyJrIjp7ImNhdCI6IkJPT0tTIn19.c2lnbmF0dXJl".into()),
    })
    .unwrap()
}

fn book_page(c: &mut Criterion) {
    let bytes: Vec<Vec<u8>> = (0..20).map(stored_book).collect();
    let fresh = || -> Vec<RawItem> { bytes.iter().map(|b| RawItem::from(&b[..])).collect() };
    let mut g = c.benchmark_group("book_page_20");
    g.bench_function("cold_json_cache", |b| {
        b.iter_batched(
            || (BookJsonCache::new(1 << 20, usd()), fresh()),
            |(cache, raws)| black_box(page_of(&cache, &raws)),
            BatchSize::SmallInput,
        )
    });
    // Bytes read anew (a copy each, as DynamoDB's reads, and every embedded read before the
    // item cache shared its entries): the JSON is found by content.
    let warm = BookJsonCache::new(1 << 20, usd());
    page_of(&warm, &fresh());
    g.bench_function("warm_json_cache", |b| {
        b.iter(|| black_box(page_of(&warm, &fresh())))
    });
    // The item cache's own entries, shared: the JSON kept beside them.
    let cached = fresh();
    page_of(&warm, &cached);
    g.bench_function("item_cache_memo", |b| {
        b.iter(|| black_box(page_of(&warm, &cached.clone())))
    });
    g.finish();
}

fn token_verify(c: &mut Criterion) {
    let tokens = Tokens::new(b"bench-secret-that-is-long-enough-0123456789", 3600);
    let user: User = serde_json::from_value(json!({
        "id": "0b0f3c8e-8a5e-4d8e-9a43-3f1c2b7d9e10",
        "email": "shopper@example.com",
        "name": "A Shopper",
        "role": "customer",
        "created_at": "2026-11-24T17:18:28Z"
    }))
    .unwrap();
    let (token, _) = tokens.issue(&user).unwrap();
    c.bench_function("token_verify", |b| {
        b.iter(|| black_box(tokens.verify(black_box(&token)).unwrap()))
    });
}

fn store_point_read(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(async { EmbeddedStore::open(dir.path()).unwrap() });
    // 20,000 items so the memtable search has the depth of a real catalogue.
    let keys: Vec<Key> = (0..20_000)
        .map(|n| Key::new(format!("BOOK#{n:08}"), "BOOK"))
        .collect();
    rt.block_on(async {
        // Transactions hold at most 100 operations; sent together they share group commits.
        let writes = keys.chunks(100).map(|chunk| {
            let ops = chunk
                .iter()
                .map(|k| {
                    let mut item = bookstore_api::store::expr::key_item(k);
                    item.insert("stock".into(), Value::from(10));
                    WriteOp::Put { item, cond: None }
                })
                .collect();
            store.transact(ops)
        });
        for r in futures::future::join_all(writes).await {
            r.unwrap();
        }
    });
    let mut g = c.benchmark_group("store_point_read");
    let mut n = 0usize;
    g.bench_function("item_cache_hit", |b| {
        b.iter(|| {
            n = (n + 7919) % keys.len();
            black_box(rt.block_on(store.get_raw(&keys[n])).unwrap())
        })
    });
    g.bench_function("batch_get_20", |b| {
        b.iter(|| {
            n = (n + 7919) % (keys.len() - 20);
            black_box(rt.block_on(store.batch_get_raw(&keys[n..n + 20])).unwrap())
        })
    });
    g.finish();
}

fn password_hash(c: &mut Criterion) {
    use argon2::password_hash::PasswordHasher;
    let mut g = c.benchmark_group("password_hash");
    g.sample_size(20);
    for (kib, passes) in [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)] {
        let kdf = bookstore_api::domain::hashing::PasswordKdf::new(kib, passes).unwrap();
        g.bench_function(format!("argon2id_{kib}kib_x{passes}"), |b| {
            b.iter(|| black_box(kdf.hash("correct horse battery staple").unwrap()))
        });
    }
    g.bench_function("argon2id_19456kib_x2_allocating", |b| {
        b.iter(|| {
            black_box(
                argon2::Argon2::default()
                    .hash_password(b"correct horse battery staple")
                    .unwrap(),
            )
        })
    });
    g.finish();
}

/// An order as stored (three lines, an address, a payment): ~1.3 KB with no `ttl`, and an
/// expired idempotency record naming it.
fn ttl_filter(c: &mut Criterion) {
    let line = |n: u32| {
        json!({"book_id": format!("7d22cd50-2ee8-44c3-a579-{n:012x}"), "title": "The Left Hand of Darkness, 50th Anniversary Edition",
            "author": "Ursula K. Le Guin", "quantity": n, "unit_price_cents": 1299 + n, "currency": "EUR"})
    };
    let order = json!({
        "pk": "ORDER#0b0f3c8e-8a5e-4d8e-9a43-3f1c2b7d9e10", "sk": "ORDER",
        "order_user": "USER#5f1c2b7d-9e10-4d8e-9a43-0b0f3c8e8a5e", "created_key": "2026-12-05T02:51:13.421Z#0b0f3c8e",
        "id": "0b0f3c8e-8a5e-4d8e-9a43-3f1c2b7d9e10", "status": "paid", "lines": [line(1), line(2), line(3)],
        "total_cents": 3903, "currency": "EUR",
        "address": {"name": "A Shopper", "line1": "12 Rue de la Paix", "line2": "Bâtiment B", "city": "Paris",
            "postal_code": "75002", "country": "FR"},
        "payment": {"intent": "pi_3QfT0vLkdIwHu7ix0tq2Jk4r", "status": "succeeded", "amount_cents": 3903},
        "history": [{"status": "placed", "at": "2026-12-05T02:51:13.421Z"}, {"status": "paid", "at": "2026-12-05T02:51:13.502Z"}],
        "version": 2
    });
    let idem = json!({
        "pk": "IDEM#5f1c2b7d-9e10-4d8e-9a43-0b0f3c8e8a5e#c1a9e6a0-77f0-4f5e-9f43-2b1d8f1e7c11", "sk": "IDEM",
        "fingerprint": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "ttl": 1_764_900_000, "order_id": "0b0f3c8e-8a5e-4d8e-9a43-3f1c2b7d9e10"
    });
    let now = 1_765_000_000;
    let mut g = c.benchmark_group("ttl_filter");
    for (name, item) in [("order", order), ("idempotency_record", idem)] {
        let raw = serde_json::to_vec(&item).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(bookstore_api::store::embedded::expired(
                    black_box(&raw),
                    now,
                ))
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    ttl_filter,
    book_page,
    token_verify,
    store_point_read,
    password_hash
);
criterion_main!(benches);
