//! What the store refuses of its callers' input, alike on every back end: start keys that do
//! not continue their query (they come from clients' cursors), and keys over DynamoDB's limits.
use super::*;
use bookstore_store::{MAX_PK_BYTES, MAX_SK_BYTES};

#[tokio::test]
async fn start_keys_that_do_not_continue_their_query_are_refused_as_such() {
    for b in backends().await {
        let s = b.store.as_ref();
        let by_title = |start: Value| Query {
            index: Some(BOOKS_BY_TITLE),
            pk: "BOOKS".into(),
            sk_prefix: None,
            forward: true,
            limit: 5,
            start: Some(item(start)),
        };
        let table = |start: Value| Query {
            index: None,
            pk: "A".into(),
            sk_prefix: None,
            forward: true,
            limit: 5,
            start: Some(item(start)),
        };
        let cases = [
            by_title(json!({"pk": "USER#x", "sk": "USER", "cat": "USERS", "title_key": "a"})),
            by_title(json!({"pk": "BOOK#1", "sk": "BOOK", "cat": "BOOKS"})),
            by_title(json!({"pk": 5, "sk": "BOOK", "cat": "BOOKS", "title_key": "a"})),
            table(json!({"pk": "B", "sk": "1"})),
            table(json!({"pk": "A"})),
            table(json!({"pk": "A", "sk": 7})),
        ];
        for q in cases {
            let r = s.query(&q).await;
            assert!(
                matches!(r, Err(StoreError::InvalidStart(_))),
                "{}: {:?} gave {r:?}",
                b.name,
                q.start
            );
        }
    }
}

#[tokio::test]
async fn keys_over_dynamodbs_limits_are_refused_as_too_large_and_keys_at_them_kept() {
    for b in backends().await {
        let s = b.store.as_ref();
        let pk = "p".repeat(MAX_PK_BYTES);
        let sk = "s".repeat(MAX_SK_BYTES);
        s.transact(vec![put(json!({"pk": pk, "sk": sk}), None)])
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert!(s.get(&k(&pk, &sk)).await.unwrap().is_some(), "{}", b.name);
        let too_large = [
            put(json!({"pk": format!("{pk}p"), "sk": "1"}), None),
            put(json!({"pk": "A", "sk": format!("{sk}s")}), None),
            // A four-byte character counts four.
            put(json!({"pk": "A", "sk": "\u{1d400}".repeat(257)}), None),
            // Index keys too.
            put(
                json!({"pk": "B", "sk": "1", "cat": "BOOKS", "title_key": format!("{sk}s")}),
                None,
            ),
            WriteOp::Update {
                key: k("B", "2"),
                set: vec![(Path::attr("cat"), Value::String(format!("{pk}p")))],
                add: vec![],
                cond: None,
            },
        ];
        for op in too_large {
            let r = s.transact(vec![op.clone()]).await;
            assert!(
                matches!(r, Err(StoreError::TooLarge(_))),
                "{}: {op:?} gave {r:?}",
                b.name
            );
        }
        let q = Query {
            index: None,
            pk: "A".into(),
            sk_prefix: Some(format!("{sk}s")),
            forward: true,
            limit: 5,
            start: None,
        };
        let r = s.query(&q).await;
        assert!(
            matches!(r, Err(StoreError::TooLarge(_))),
            "{}: {r:?}",
            b.name
        );
    }
}
