//! The storage conformance suite: every behaviour the API relies on, run unchanged against
//! each back end (the embedded store, and DynamoDB Local).
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.
#[path = "../support/dynamo_local.rs"]
mod dynamo_local;
mod limits;

use bookstore_store::embedded::EmbeddedStore;
use bookstore_store::keys::{BOOKS_BY_PRICE, BOOKS_BY_TITLE};
use bookstore_store::{Cond, Item, Key, Path, Query, Store, StoreError, WriteOp};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

/// Every back end, each empty.
async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let embedded = EmbeddedStore::open(dir.path()).unwrap();
    let (_, dynamo) = dynamo_local::fresh_table().await;
    vec![
        Backend {
            name: "embedded",
            store: Arc::new(embedded),
            _dir: Some(dir),
        },
        Backend {
            name: "dynamodb",
            store: Arc::new(dynamo),
            _dir: None,
        },
    ]
}

fn item(v: Value) -> Item {
    v.as_object().cloned().unwrap()
}

fn put(v: Value, cond: Option<Cond>) -> WriteOp {
    WriteOp::Put {
        item: item(v),
        cond,
    }
}

fn add(key: Key, attr: &str, n: i64, cond: Option<Cond>) -> WriteOp {
    WriteOp::Update {
        key,
        set: vec![],
        add: vec![(Path::attr(attr), n)],
        cond,
    }
}

fn k(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

fn failed(r: Result<(), StoreError>) -> Vec<usize> {
    match r {
        Err(StoreError::ConditionFailed(ops)) => ops,
        other => panic!("expected a failed condition, got {other:?}"),
    }
}

#[tokio::test]
async fn items_round_trip_with_conditions() {
    for b in backends().await {
        let s = &b.store;
        let doc = json!({"pk": "A", "sk": "1", "n": 5, "s": "text", "b": true, "l": [1, "x"], "m": {"x": 1}, "neg": -7});
        s.transact(vec![put(doc.clone(), Some(Cond::NotExists))])
            .await
            .unwrap();
        assert_eq!(
            s.get(&k("A", "1")).await.unwrap(),
            Some(item(doc.clone())),
            "{}",
            b.name
        );
        assert_eq!(s.get(&k("A", "2")).await.unwrap(), None);
        // A second create fails and changes nothing.
        assert_eq!(
            failed(
                s.transact(vec![put(
                    json!({"pk": "A", "sk": "1"}),
                    Some(Cond::NotExists)
                )])
                .await
            ),
            vec![0]
        );
        assert_eq!(s.get(&k("A", "1")).await.unwrap(), Some(item(doc)));
        // Conditions on numbers, equality and nested attributes.
        assert_eq!(
            failed(
                s.transact(vec![add(
                    k("A", "1"),
                    "n",
                    -6,
                    Some(Cond::Ge(Path::attr("n"), 6))
                )])
                .await
            ),
            vec![0]
        );
        s.transact(vec![add(
            k("A", "1"),
            "n",
            -5,
            Some(Cond::Ge(Path::attr("n"), 5)),
        )])
        .await
        .unwrap();
        let cond = Cond::And(vec![
            Cond::Eq(Path::attr("s"), json!("text")),
            Cond::Le(Path::nested("m", "x"), 1),
        ]);
        s.transact(vec![WriteOp::Update {
            key: k("A", "1"),
            set: vec![(Path::attr("s"), json!("new"))],
            add: vec![(Path::nested("m", "x"), 2)],
            cond: Some(cond.clone()),
        }])
        .await
        .unwrap();
        let got = s.get(&k("A", "1")).await.unwrap().unwrap();
        assert_eq!(
            (got["n"].clone(), got["s"].clone(), got["m"].clone()),
            (json!(0), json!("new"), json!({"x": 3})),
            "{}",
            b.name
        );
        assert_eq!(
            failed(
                s.transact(vec![WriteOp::Check {
                    key: k("A", "1"),
                    cond
                }])
                .await
            ),
            vec![0]
        );
        // Update is an upsert; adding to a missing number starts from zero. A bounded counter
        // that may not exist yet: missing, or below the bound.
        let bounded = || {
            Some(Cond::Or(vec![
                Cond::NotExists,
                Cond::Le(Path::attr("count"), 0),
            ]))
        };
        s.transact(vec![add(k("A", "3"), "count", 2, bounded())])
            .await
            .unwrap();
        assert_eq!(
            failed(
                s.transact(vec![add(k("A", "3"), "count", 1, bounded())])
                    .await
            ),
            vec![0]
        );
        assert_eq!(
            failed(
                s.transact(vec![WriteOp::Check {
                    key: k("A", "3"),
                    cond: Cond::Or(vec![])
                }])
                .await
            ),
            vec![0]
        );
        assert_eq!(
            s.get(&k("A", "3")).await.unwrap(),
            Some(item(json!({"pk": "A", "sk": "3", "count": 2})))
        );
        // Delete with a condition.
        assert_eq!(
            failed(
                s.transact(vec![WriteOp::Delete {
                    key: k("A", "3"),
                    cond: Some(Cond::Eq(Path::attr("count"), json!(9)))
                }])
                .await
            ),
            vec![0]
        );
        s.transact(vec![WriteOp::Delete {
            key: k("A", "3"),
            cond: Some(Cond::Exists),
        }])
        .await
        .unwrap();
        assert_eq!(s.get(&k("A", "3")).await.unwrap(), None);
        assert_eq!(
            failed(
                s.transact(vec![WriteOp::Delete {
                    key: k("A", "3"),
                    cond: Some(Cond::Exists)
                }])
                .await
            ),
            vec![0]
        );
    }
}

#[tokio::test]
async fn transactions_are_all_or_nothing() {
    for b in backends().await {
        let s = &b.store;
        s.transact(vec![
            put(json!({"pk": "S", "sk": "a", "stock": 2}), None),
            put(json!({"pk": "S", "sk": "b", "stock": 0}), None),
        ])
        .await
        .unwrap();
        let ops = vec![
            add(
                k("S", "a"),
                "stock",
                -1,
                Some(Cond::Ge(Path::attr("stock"), 1)),
            ),
            add(
                k("S", "b"),
                "stock",
                -1,
                Some(Cond::Ge(Path::attr("stock"), 1)),
            ),
            put(json!({"pk": "O", "sk": "1"}), Some(Cond::NotExists)),
        ];
        assert_eq!(
            failed(s.transact(ops).await),
            vec![1],
            "{}: the failing operation is named",
            b.name
        );
        assert_eq!(
            s.get(&k("S", "a")).await.unwrap().unwrap()["stock"],
            2,
            "{}",
            b.name
        );
        assert_eq!(s.get(&k("O", "1")).await.unwrap(), None, "{}", b.name);
        // Too many operations, and two operations on one item, are refused outright.
        let many: Vec<WriteOp> = (0..101)
            .map(|i| put(json!({"pk": "M", "sk": i.to_string()}), None))
            .collect();
        assert!(matches!(
            s.transact(many).await,
            Err(StoreError::Invalid(_))
        ));
        let hundred: Vec<WriteOp> = (0..100)
            .map(|i| put(json!({"pk": "M", "sk": i.to_string()}), None))
            .collect();
        s.transact(hundred).await.unwrap();
        let twice = vec![
            add(k("S", "a"), "stock", 1, None),
            add(k("S", "a"), "stock", 1, None),
        ];
        assert!(matches!(
            s.transact(twice).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.transact(vec![]).await,
            Err(StoreError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn batch_get_answers_in_key_order() {
    for b in backends().await {
        let s = &b.store;
        let ops: Vec<WriteOp> = (0..30)
            .map(|i| put(json!({"pk": format!("B#{i}"), "sk": "x", "i": i}), None))
            .collect();
        s.transact(ops).await.unwrap();
        let keys: Vec<Key> = [5, 99, 0, 29, 5]
            .iter()
            .map(|i| k(&format!("B#{i}"), "x"))
            .collect();
        let got: Vec<Option<i64>> = s
            .batch_get(&keys)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.map(|i| i["i"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![Some(5), None, Some(0), Some(29), Some(5)],
            "{}",
            b.name
        );
    }
}

async fn drain(s: &dyn Store, mut q: Query) -> Vec<Item> {
    let mut out = Vec::new();
    loop {
        let page = s.query(&q).await.unwrap();
        assert!(page.items.len() <= q.limit);
        out.extend(page.items);
        match page.last_key {
            Some(k) => q.start = Some(k),
            None => return out,
        }
    }
}

#[tokio::test]
async fn queries_page_through_a_partition_in_order() {
    for b in backends().await {
        let s = b.store.as_ref();
        let mut ops: Vec<WriteOp> = (0..25)
            .map(|i| put(json!({"pk": "P", "sk": format!("item#{i:03}")}), None))
            .collect();
        ops.push(put(json!({"pk": "P", "sk": "other"}), None));
        ops.push(put(json!({"pk": "P2", "sk": "item#000"}), None));
        ops.push(put(json!({"pk": "O", "sk": "item#000"}), None));
        s.transact(ops).await.unwrap();
        let q = |forward, prefix: Option<&str>| Query {
            index: None,
            pk: "P".into(),
            sk_prefix: prefix.map(Into::into),
            forward,
            limit: 4,
            start: None,
        };
        let sks = |items: Vec<Item>| {
            items
                .into_iter()
                .map(|i| i["sk"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let mut expected: Vec<String> = (0..25).map(|i| format!("item#{i:03}")).collect();
        assert_eq!(
            sks(drain(s, q(true, Some("item#"))).await),
            expected,
            "{}",
            b.name
        );
        expected.reverse();
        assert_eq!(
            sks(drain(s, q(false, Some("item#"))).await),
            expected,
            "{}",
            b.name
        );
        assert_eq!(drain(s, q(true, None)).await.len(), 26);
        assert_eq!(sks(drain(s, q(false, Some("oth"))).await), vec!["other"]);
        // A start key need not name an item: the outbox seeks past a partition's done jobs
        // this way (`outbox::due_jobs`).
        let seek = |forward, sk: &str| Query {
            start: Some(item(json!({"pk": "P", "sk": sk}))),
            ..q(forward, None)
        };
        assert_eq!(
            sks(drain(s, seek(true, "item#0225")).await),
            vec!["item#023", "item#024", "other"],
            "{}",
            b.name
        );
        assert_eq!(
            sks(drain(s, seek(false, "item#0015")).await),
            vec!["item#001", "item#000"],
            "{}",
            b.name
        );
        // An exact page: no cursor on the last page.
        let page = s
            .query(&Query {
                limit: 26,
                ..q(true, None)
            })
            .await
            .unwrap();
        assert_eq!(
            (page.items.len(), page.last_key.is_none()),
            (26, true),
            "{}",
            b.name
        );
        let page = s
            .query(&Query {
                pk: "nothing".into(),
                ..q(true, None)
            })
            .await
            .unwrap();
        assert!(page.items.is_empty() && page.last_key.is_none());
    }
}

#[tokio::test]
async fn sparse_indexes_follow_writes() {
    for b in backends().await {
        let s = b.store.as_ref();
        let book = |id: i64, title: &str, price: i64| {
            put(
                json!({"pk": format!("BOOK#{id}"), "sk": "BOOK", "cat": "BOOKS", "title_key": title, "price_cents": price}),
                None,
            )
        };
        // Ties and negative numbers must order and page correctly.
        let mut ops = vec![
            book(1, "c", 300),
            book(2, "a", -5),
            book(3, "b", 300),
            book(4, "a", 0),
            book(5, "d", 1_000_000),
        ];
        // Not in the index: no `cat`.
        ops.push(put(
            json!({"pk": "BOOK#6", "sk": "BOOK", "title_key": "a", "price_cents": 1}),
            None,
        ));
        s.transact(ops).await.unwrap();
        let by = |index, forward| Query {
            index: Some(index),
            pk: "BOOKS".into(),
            sk_prefix: None,
            forward,
            limit: 2,
            start: None,
        };
        let ids = |items: Vec<Item>| {
            items
                .into_iter()
                .map(|i| i["pk"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let prices: Vec<i64> = drain(s, by(BOOKS_BY_PRICE, true))
            .await
            .iter()
            .map(|i| i["price_cents"].as_i64().unwrap())
            .collect();
        assert_eq!(prices, vec![-5, 0, 300, 300, 1_000_000], "{}", b.name);
        let titles = ids(drain(s, by(BOOKS_BY_TITLE, true)).await);
        assert_eq!(titles.len(), 5);
        assert_eq!(
            HashSet::<String>::from_iter(titles.iter().cloned()).len(),
            5,
            "{}: ties neither repeat nor vanish",
            b.name
        );
        assert_eq!(titles[4], "BOOK#5");
        // Changing the index key moves the item; removing the attribute takes it out; deleting it too.
        s.transact(vec![WriteOp::Update {
            key: k("BOOK#5", "BOOK"),
            set: vec![(Path::attr("price_cents"), json!(-100))],
            add: vec![],
            cond: None,
        }])
        .await
        .unwrap();
        s.transact(vec![put(
            json!({"pk": "BOOK#1", "sk": "BOOK", "title_key": "c", "price_cents": 300}),
            None,
        )])
        .await
        .unwrap();
        s.transact(vec![WriteOp::Delete {
            key: k("BOOK#2", "BOOK"),
            cond: None,
        }])
        .await
        .unwrap();
        // Index reads may lag on DynamoDB (eventually consistent): allow it a moment.
        let mut last = Vec::new();
        for _ in 0..50 {
            last = ids(drain(s, by(BOOKS_BY_PRICE, false)).await);
            if last == ["BOOK#3", "BOOK#4", "BOOK#5"] {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(last, ["BOOK#3", "BOOK#4", "BOOK#5"], "{}", b.name);
    }
}

#[tokio::test]
async fn concurrent_conditional_decrements_never_oversell() {
    for b in backends().await {
        let s = b.store.clone();
        s.transact(vec![put(
            json!({"pk": "HOT", "sk": "BOOK", "stock": 20, "sold": 0}),
            None,
        )])
        .await
        .unwrap();
        let attempts = (0..64).map(|i| {
            let s = s.clone();
            async move {
                s.transact(vec![
                    WriteOp::Update {
                        key: k("HOT", "BOOK"),
                        set: vec![],
                        add: vec![(Path::attr("stock"), -1), (Path::attr("sold"), 1)],
                        cond: Some(Cond::Ge(Path::attr("stock"), 1)),
                    },
                    put(
                        json!({"pk": format!("ORDER#{i}"), "sk": "ORDER"}),
                        Some(Cond::NotExists),
                    ),
                ])
                .await
            }
        });
        let results = join_all(attempts).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        for r in &results {
            assert!(
                matches!(r, Ok(()) | Err(StoreError::ConditionFailed(_))),
                "{}: {r:?}",
                b.name
            );
        }
        assert_eq!(ok, 20, "{}", b.name);
        let hot = s.get(&k("HOT", "BOOK")).await.unwrap().unwrap();
        assert_eq!(
            (hot["stock"].as_i64(), hot["sold"].as_i64()),
            (Some(0), Some(20)),
            "{}",
            b.name
        );
        let orders: Vec<Key> = (0..64).map(|i| k(&format!("ORDER#{i}"), "ORDER")).collect();
        let stored = s
            .batch_get(&orders)
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .count();
        assert_eq!(
            stored, 20,
            "{}: exactly the acknowledged orders exist",
            b.name
        );
    }
}

#[tokio::test]
async fn racing_creates_have_one_winner() {
    for b in backends().await {
        let s = b.store.clone();
        let results = join_all((0..16).map(|i| {
            let s = s.clone();
            async move {
                s.transact(vec![put(
                    json!({"pk": "IDEM#k", "sk": "IDEM", "who": i}),
                    Some(Cond::NotExists),
                )])
                .await
            }
        }))
        .await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{}",
            b.name
        );
        // Racing returns: version-conditioned updates serialise.
        s.transact(vec![put(
            json!({"pk": "ORD", "sk": "ORDER", "version": 1, "returned": {"b": 0}}),
            None,
        )])
        .await
        .unwrap();
        let results = join_all((0..8).map(|_| {
            let s = s.clone();
            async move {
                s.transact(vec![WriteOp::Update {
                    key: k("ORD", "ORDER"),
                    set: vec![],
                    add: vec![
                        (Path::attr("version"), 1),
                        (Path::nested("returned", "b"), 1),
                    ],
                    cond: Some(Cond::And(vec![
                        Cond::Eq(Path::attr("version"), json!(1)),
                        Cond::Le(Path::nested("returned", "b"), 4),
                    ])),
                }])
                .await
            }
        }))
        .await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{}",
            b.name
        );
        assert_eq!(
            s.get(&k("ORD", "ORDER")).await.unwrap().unwrap()["returned"],
            json!({"b": 1})
        );
    }
}

#[tokio::test]
async fn dynamo_init_is_idempotent() {
    let (settings, store) = dynamo_local::fresh_table().await;
    // A second `bookstore dynamo init` on an existing table changes nothing and succeeds.
    assert!(!store.init().await.unwrap());
    let again = bookstore_store::dynamo::DynamoStore::connect(&settings).await;
    assert!(!again.init().await.unwrap());
    again.ping().await.unwrap();
}
