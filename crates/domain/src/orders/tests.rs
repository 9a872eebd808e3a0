//! A reserved order's expiry job goes with the reservation: the transaction that settles the
//! order removes it, so it is never read, claimed and run for nothing at its time.
use super::lifecycle::Change;
use super::record::{OrderRecord, order_item};
use super::*;
use crate::outbox::{KIND_EXPIRE, order_job};
use crate::store::embedded::EmbeddedStore;
use bookstore_model::{OrderStatus, ShippingOption};
use chrono::Utc;

fn orders(store: Arc<dyn Store>) -> Orders {
    let standard = ShippingOption {
        id: "standard".into(),
        name: "Standard".into(),
        price_per_order_cents: 495,
        price_per_item_cents: 0,
        countries: Default::default(),
        delivery_days_min: 2,
        delivery_days_max: 5,
    };
    let shipping = Shipping::new("USD", vec![standard], []).unwrap();
    Orders::new(
        store,
        Arc::new(CursorCodec::new(b"a test secret of enough length")),
        3600,
        Arc::new(shipping),
        None,
    )
}

/// A `pending_payment` order of one copy, stored with its expiry job; the job's key.
async fn reserved(store: &dyn Store) -> (OrderRecord, Key) {
    let now = Utc::now();
    let expires_at = now + chrono::Duration::minutes(15);
    let id = OrderId::new();
    let record: OrderRecord = serde_json::from_value(json!({
        "id": id,
        "user_id": uuid::Uuid::new_v4(),
        "status": "pending_payment",
        "lines": [{
            "book_id": uuid::Uuid::new_v4(),
            "title": "Reserved",
            "unit_price_cents": 1000,
            "quantity": 1
        }],
        "returned": {},
        "total_cents": 1495,
        "refunded_cents": 0,
        "currency": "USD",
        "payment": {
            "status": "pending",
            "provider_id": "pi_test",
            "amount_cents": 1495,
            "refunded_cents": 0
        },
        "payment_expires_at": expires_at,
        "created_at": now,
        "updated_at": now,
        "version": 1
    }))
    .unwrap();
    let job = order_job(KIND_EXPIRE, &expiry_job_id(id), expires_at, id);
    let key = job.key().unwrap();
    store
        .transact(vec![
            WriteOp::Put {
                item: order_item(&record).unwrap(),
                cond: Some(Cond::NotExists),
            },
            job,
        ])
        .await
        .unwrap();
    (record, key)
}

#[tokio::test]
async fn settling_a_reserved_order_removes_its_expiry_job() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).unwrap());
    let orders = orders(store.clone());

    let (record, job) = reserved(store.as_ref()).await;
    assert!(store.get(&job).await.unwrap().is_some());
    let paid = orders
        .settle_paid(record.id, Some(record), None)
        .await
        .unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    assert!(
        store.get(&job).await.unwrap().is_none(),
        "paid: the reservation has nothing left to expire"
    );

    // The expiry itself leaves its job to the dispatcher that runs it (it removes the job
    // with its lease); no other transition of a settled order touches it.
    let (record, job) = reserved(store.as_ref()).await;
    let id = record.id;
    orders
        .transition_from(id, Some(record), |r| {
            let mut after = r.clone();
            after.status = OrderStatus::Cancelled;
            Ok(Some(Change {
                expiry: true,
                ..Change::of(after)
            }))
        })
        .await
        .unwrap();
    assert!(store.get(&job).await.unwrap().is_some());
}
