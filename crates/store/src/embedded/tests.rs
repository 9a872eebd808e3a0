//! Unit tests of the embedded store: the key encoding, group commit, the caches.
use super::*;
use serde_json::json;

/// Strings that probe the encoding: empty, NUL bytes, prefixes, 0xFF-ish UTF-8.
const SAMPLES: &[&str] = &[
    "",
    "\0",
    "\0\0",
    "\0a",
    "a",
    "a\0",
    "a\0\0",
    "a\0b",
    "a\u{1}",
    "ab",
    "abc",
    "b",
    "ÿ",
    "\u{10FFFF}",
    "a\u{7f}",
];

#[test]
fn item_keys_sort_as_tuples() {
    let mut pairs = Vec::new();
    for a in SAMPLES {
        for b in SAMPLES {
            pairs.push((*a, *b));
        }
    }
    for x in &pairs {
        for y in &pairs {
            assert_eq!(
                item_key(x.0, x.1).cmp(&item_key(y.0, y.1)),
                x.cmp(y),
                "{x:?} vs {y:?}"
            );
        }
    }
}

#[test]
fn sort_keys_decode_back() {
    for v in [
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(1234),
        json!(""),
        json!("a\u{0}b"),
        json!("Zoë"),
    ] {
        assert_eq!(decode_sk(&encode_sk(&v).unwrap()).unwrap(), v);
    }
}

#[test]
fn index_keys_sort_as_tuples_and_split_back() {
    let mut tuples = Vec::new();
    for a in ["", "a", "a\0"] {
        for isk in [&b""[..], b"\0", b"\x01\xff", b"\x02a", b"\x02a\0"] {
            for pk in ["", "\0", "x"] {
                for sk in ["", "y", "y\0"] {
                    tuples.push((a, "p", isk, pk, sk));
                }
            }
        }
    }
    for x in &tuples {
        let kx = index_key(x.0, x.1, x.2, x.3, x.4);
        assert_eq!(&kx[skip_components(&kx, 3).unwrap()..], item_key(x.3, x.4));
        let parts = split_components(&kx).unwrap();
        assert_eq!(
            parts,
            vec![
                x.0.as_bytes().to_vec(),
                x.1.as_bytes().to_vec(),
                x.2.to_vec(),
                x.3.as_bytes().to_vec(),
                x.4.as_bytes().to_vec()
            ]
        );
        for y in &tuples {
            let ky = index_key(y.0, y.1, y.2, y.3, y.4);
            assert_eq!(kx.cmp(&ky), x.cmp(y), "{x:?} vs {y:?}");
        }
    }
}

#[test]
fn sort_key_prefixes_select_exactly_the_prefixed_keys() {
    for pk in SAMPLES {
        for prefix in SAMPLES {
            let mut p = Vec::new();
            push_component(&mut p, pk.as_bytes());
            push_escaped(&mut p, prefix.as_bytes());
            for other_pk in SAMPLES {
                for sk in SAMPLES {
                    let k = item_key(other_pk, sk);
                    let want = other_pk == pk && sk.starts_with(prefix);
                    assert_eq!(
                        k.starts_with(&p),
                        want,
                        "{pk:?}/{prefix:?} vs {other_pk:?}/{sk:?}"
                    );
                    let in_range = match prefix_end(&p) {
                        Bound::Excluded(end) => k >= p && k < end,
                        _ => k >= p,
                    };
                    assert_eq!(in_range, want);
                }
            }
        }
    }
}

fn sold_page(store: &EmbeddedStore) -> Vec<Item> {
    let q = Query {
        index: Some(super::super::keys::BOOKS_BY_SOLD),
        pk: "S0".into(),
        sk_prefix: None,
        forward: false,
        limit: 100,
        start: None,
    };
    let page = store.query_sync(&q).unwrap();
    page.items.iter().map(|r| parse(r).unwrap()).collect()
}

/// One transaction adding `delta` to `attr` of each item.
fn adds(attr: &str, moves: &[(&Key, i64)]) -> Vec<WriteOp> {
    moves
        .iter()
        .map(|(key, delta)| WriteOp::Update {
            key: (*key).clone(),
            set: vec![],
            add: vec![(crate::Path::attr(attr), *delta)],
            cond: None,
        })
        .collect()
}

/// Readers served from the item cache still see each group whole and never go back in
/// time: while transfers move units between two items, every `batch_get` and every index
/// query sees the same total, and successive reads of one item never see an older value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_see_whole_groups_and_never_go_back() {
    use crate::keys::BOOKS_BY_TITLE;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let keys = [Key::new("BOOK#a", "BOOK"), Key::new("BOOK#b", "BOOK")];
    for (key, n) in keys.iter().zip([1000, 0]) {
        let mut item = crate::expr::key_item(key);
        item.insert("cat".into(), json!("cat"));
        item.insert("title_key".into(), json!(key.pk));
        item.insert("n".into(), json!(n));
        store
            .transact(vec![WriteOp::Put { item, cond: None }])
            .await
            .unwrap();
    }
    let n_of = |raw: &[u8]| parse(raw).unwrap()["n"].as_i64().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (store, keys, done) = (store.clone(), keys.clone(), done.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0;
            let mut last_b = 0;
            while !done.load(Ordering::Relaxed) {
                let both = store.batch_get_raw(&keys).await.unwrap();
                let (a, b) = (
                    n_of(both[0].as_deref().unwrap()),
                    n_of(both[1].as_deref().unwrap()),
                );
                assert_eq!(a + b, 1000, "batch_get saw half a group");
                let page = store
                    .query_raw(&Query {
                        index: Some(BOOKS_BY_TITLE),
                        pk: "cat".into(),
                        sk_prefix: None,
                        forward: true,
                        limit: 10,
                        start: None,
                    })
                    .await
                    .unwrap();
                let total: i64 = page.items.iter().map(|r| n_of(r)).sum();
                assert_eq!(total, 1000, "a query saw half a group");
                let b_now = n_of(&store.get_raw(&keys[1]).await.unwrap().unwrap());
                assert!(b_now >= last_b.max(b), "a read went back in time");
                last_b = b_now;
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        }));
    }
    for _ in 0..300 {
        let moves = adds("n", &[(&keys[0], -1), (&keys[1], 1)]);
        store.transact(moves).await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    let b = store.get_raw(&keys[1]).await.unwrap().unwrap();
    assert_eq!(n_of(&b), 300);
}

/// Cached index ranges never outlive the entries they list: while groups move two items
/// past each other in an index and delete and re-create a third, every page read through
/// the range cache lists the items of one committed state, in that state's index order,
/// and never an item that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_ranges_follow_every_move_in_the_index() {
    use crate::keys::BOOKS_BY_SOLD;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let item = |pk: &str, sold: i64| {
        let mut item = crate::expr::key_item(&Key::new(pk, "BOOK"));
        item.insert("sold_shard".into(), json!("S0"));
        item.insert("sold".into(), json!(sold));
        item
    };
    let (a, b, c) = (
        Key::new("BOOK#a", "BOOK"),
        Key::new("BOOK#b", "BOOK"),
        Key::new("BOOK#c", "BOOK"),
    );
    for (k, n) in [(&a, 600), (&b, 400)] {
        store
            .transact(vec![WriteOp::Put {
                item: item(&k.pk, n),
                cond: None,
            }])
            .await
            .unwrap();
    }
    let q = Query {
        index: Some(BOOKS_BY_SOLD),
        pk: "S0".into(),
        sk_prefix: None,
        forward: false,
        limit: 10,
        start: None,
    };
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (store, q, done) = (store.clone(), q.clone(), done.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let page = store.query_raw(&q).await.expect("a listed item is gone");
                let rows: Vec<(i64, String)> = page
                    .items
                    .iter()
                    .map(|r| {
                        let item = parse(r).unwrap();
                        (
                            item["sold"].as_i64().unwrap(),
                            item["pk"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                let ab: i64 = rows.iter().filter(|r| r.1 != "BOOK#c").map(|r| r.0).sum();
                assert_eq!(ab, 1000, "a page of half a group: {rows:?}");
                assert!(
                    rows.windows(2).all(|w| w[0] > w[1]),
                    "a page out of index order: {rows:?}"
                );
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        }));
    }
    for i in 0..300 {
        // a and b trade places every 50 rounds (600/400 → 250/750 and back).
        let d = if (i / 50) % 2 == 0 { 7 } else { -7 };
        store
            .transact(adds("sold", &[(&a, -d), (&b, d)]))
            .await
            .unwrap();
        let op = if i % 2 == 0 {
            WriteOp::Put {
                item: item(&c.pk, 500),
                cond: None,
            }
        } else {
            WriteOp::Delete {
                key: c.clone(),
                cond: None,
            }
        };
        store.transact(vec![op]).await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    assert_eq!(store.query_raw(&q).await.unwrap().items.len(), 2);
}

/// Many transactions on one item land in one group: each sees the previous one's write,
/// and the index holds exactly the final entry. Everything survives a reopen.
#[tokio::test]
async fn a_group_chains_writes_and_keeps_the_index_exact() {
    use crate::{Cond, Path as P};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let key = Key::new("BOOK#1", "BOOK");
    let mut book = crate::expr::key_item(&key);
    book.insert("sold_shard".into(), json!("S0"));
    book.insert("sold".into(), json!(0));
    book.insert("stock".into(), json!(50));
    store
        .transact(vec![WriteOp::Put {
            item: book,
            cond: None,
        }])
        .await
        .unwrap();
    let sell = || WriteOp::Update {
        key: key.clone(),
        set: vec![],
        add: vec![(P::attr("stock"), -1), (P::attr("sold"), 1)],
        cond: Some(Cond::Ge(P::attr("stock"), 1)),
    };
    let results = futures::future::join_all((0..80).map(|_| store.transact(vec![sell()]))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 50, "{results:?}");
    assert!(results.iter().all(|r| match r {
        Ok(()) => true,
        Err(StoreError::ConditionFailed(v)) => v == &[0],
        Err(_) => false,
    }));
    let page = sold_page(&store);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["sold"], json!(50));
    assert_eq!(page[0]["stock"], json!(0));
    // Delete and re-create in one group: the index follows the last state.
    let del = store.transact(vec![WriteOp::Delete {
        key: key.clone(),
        cond: None,
    }]);
    let mut again = crate::expr::key_item(&key);
    again.insert("sold_shard".into(), json!("S0"));
    again.insert("sold".into(), json!(7));
    let put = store.transact(vec![WriteOp::Put {
        item: again,
        cond: Some(Cond::NotExists),
    }]);
    let (a, b) = futures::join!(del, put);
    a.unwrap();
    b.unwrap();
    drop(store);
    // The writer thread lets go of the database once every handle is gone.
    let store = loop {
        match EmbeddedStore::open(dir.path()) {
            Ok(s) => break s,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let page = sold_page(&store);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["sold"], json!(7));
    assert_eq!(store.get(&key).await.unwrap().unwrap()["sold"], json!(7));
}

#[test]
fn numbers_sort_before_strings_and_in_order() {
    let vals = [
        serde_json::json!(i64::MIN),
        serde_json::json!(-1),
        serde_json::json!(0),
        serde_json::json!(7),
        serde_json::json!(i64::MAX),
        serde_json::json!(""),
        serde_json::json!("a"),
    ];
    for w in vals.windows(2) {
        let (a, b) = (encode_sk(&w[0]).unwrap(), encode_sk(&w[1]).unwrap());
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        push_component(&mut ka, &a);
        push_component(&mut kb, &b);
        assert!(ka < kb, "{:?} < {:?}", w[0], w[1]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_removes_expired_items_like_dynamodb_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let items = [
        ("IDEM#u#old", json!({"ttl": now - 10})),
        ("IDEM#u#new", json!({"ttl": now + 3600})),
        ("BOOK#1", json!({"title": "kept: no ttl"})),
        // An index attribute keeps an expired item: its entries are in the other keyspace.
        (
            "ORDER#1",
            json!({"ttl": now - 10, "order_user": "u", "created_key": "k"}),
        ),
    ];
    for (pk, extra) in &items {
        let mut item = json!({"pk": pk, "sk": "X"}).as_object().unwrap().clone();
        item.extend(extra.as_object().unwrap().clone());
        store
            .transact(vec![WriteOp::Put { item, cond: None }])
            .await
            .unwrap();
    }
    // Past the memtable, into tables, and through a compaction.
    store.items.rotate_memtable_and_wait().unwrap();
    store.items.major_compact().unwrap();
    let on_disk = |pk: &str| store.items.get(item_key(pk, "X")).unwrap().is_some();
    assert!(!on_disk("IDEM#u#old"), "expired: removed");
    assert!(on_disk("IDEM#u#new"), "not yet due: kept");
    assert!(on_disk("BOOK#1"));
    assert!(on_disk("ORDER#1"));
    assert!(
        !ttl::expired(br#"{"ttl":"soon"}"#, now),
        "not a number: kept"
    );
}
