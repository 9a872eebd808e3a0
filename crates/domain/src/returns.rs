//! Returns: copies of an order's lines back into stock, with the refund, in one transaction
//! with the order's new returned quantities.
use crate::Actor;
use crate::error::{Error, Result};
use crate::items::{from_item, time_key, to_item};
use crate::orders::{
    MAX_ATTEMPTS, Orders, get_record, idem_item, order_item, order_key, remembered,
    return_idem_key, sorted_lines,
};
use crate::outcome::{Probe, is_void, transact_resolved};
use crate::store::{Cond, Key, Path, Query, Store, StoreError, WriteOp};
use bookstore_model::{
    CreateReturn, EventType, OrderId, OrderStatus, ProblemCode, Return, ReturnExcess, ReturnId,
    ReturnLine, ReturnReceipt, ReturnStatus, UserId,
};
use serde_json::{Value, json};

/// The return an earlier request with this key made, with the order as it is now, or 422 if
/// the key was used for another return.
async fn replay_return(
    store: &dyn Store,
    user: UserId,
    key: &str,
    print: &str,
) -> Result<Option<ReturnReceipt>> {
    let Some(item) = remembered(store, &return_idem_key(user, key), print, "return").await? else {
        return Ok(None);
    };
    let field = |name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::internal("return idempotency record incomplete"))
    };
    let order_id: OrderId = field("order_id")?
        .parse()
        .map_err(|_| Error::internal("return idempotency record: bad order id"))?;
    let return_key = Key::new(order_key(order_id).pk, field("return_sk")?);
    let (Some(ret), Some(order)) = (
        store.get(&return_key).await?,
        get_record(store, order_id).await?,
    ) else {
        return Err(Error::internal("idempotent return missing"));
    };
    Ok(Some(ReturnReceipt {
        return_: from_item(ret)?,
        order: order.into_order(),
    }))
}

impl Orders {
    /// Returns copies of an order's lines. The order's returned quantities, its status and the
    /// books' stock move in one transaction, conditioned on the order's version, so racing returns
    /// are serialised and can never together exceed what was bought.
    ///
    /// With an idempotency key, a retry gets the return made earlier (`false`: a replay) instead of
    /// a second return and refund; as for orders, the record is written in the same transaction
    /// and every refusal looks it up first (a retry after the first took the last returnable
    /// copies is answered with that return, not 409).
    pub async fn create_return(
        &self,
        user: &Actor,
        order_id: OrderId,
        req: CreateReturn,
        idempotency_key: Option<String>,
    ) -> Result<(ReturnReceipt, bool)> {
        let store = self.store.as_ref();
        let idempotency_key = self.key(idempotency_key);
        req.validate()?;
        let print = return_fingerprint(order_id, &req);
        let refuse = |e: Error| async {
            if let Some(key) = &idempotency_key
                && let Some(receipt) = replay_return(store, user.id, &key.key, &print).await?
            {
                return Ok((receipt, false));
            }
            Err(e)
        };
        for _ in 0..MAX_ATTEMPTS {
            let record = match get_record(store, order_id).await? {
                Some(r) if r.user_id == user.id => r,
                _ => return refuse(Error::NotFound("order")).await,
            };
            if !matches!(
                record.status,
                OrderStatus::Delivered | OrderStatus::PartiallyReturned | OrderStatus::Returned
            ) {
                return refuse(Error::Conflict(
                    ProblemCode::InvalidTransition,
                    format!(
                        "the order is {}: copies can be returned once it is delivered",
                        record.status.as_str()
                    ),
                ))
                .await;
            }
            if let Some(delivered) = record.delivered_at()
                && chrono::Utc::now() - delivered > self.return_window
            {
                return refuse(Error::Unprocessable(
                    ProblemCode::ReturnWindowClosed,
                    format!(
                        "returns are accepted within {} days of delivery",
                        self.return_window.num_days()
                    ),
                ))
                .await;
            }
            let mut excess = Vec::new();
            let mut return_lines = Vec::new();
            for l in &req.lines {
                let bought = record.lines.iter().find(|x| x.book_id == l.book_id);
                let asked = record.asked_back(l.book_id);
                let returnable = bought.map_or(0, |b| b.quantity.saturating_sub(asked));
                match bought {
                    Some(b) if l.quantity.get() <= returnable => return_lines.push(ReturnLine {
                        book_id: l.book_id,
                        quantity: l.quantity.get(),
                        refund_cents: b.unit_price_cents * i64::from(l.quantity.get()),
                    }),
                    _ => excess.push(ReturnExcess {
                        book_id: l.book_id,
                        requested: l.quantity.get(),
                        returnable,
                    }),
                }
            }
            if !excess.is_empty() {
                return refuse(Error::ReturnExceedsPurchase(excess)).await;
            }
            let now = chrono::Utc::now();
            // The request only books the copies as asked back: stock and money move when the
            // shop receives them. The order's version makes racing requests take turns, so
            // together they never ask back more than was bought.
            let mut after = record.clone();
            for l in &return_lines {
                let asked = after.asked_back(l.book_id);
                after.requested.insert(l.book_id, asked + l.quantity);
            }
            after.updated_at = now;
            after.version += 1;
            let mut ops = vec![WriteOp::Put {
                item: order_item(&after)?,
                cond: Some(Cond::Eq(Path::attr("version"), record.version.into())),
            }];
            let refund: i64 = return_lines.iter().map(|l| l.refund_cents).sum();
            let ret = Return {
                id: ReturnId::new(),
                order_id,
                status: ReturnStatus::Requested,
                lines: return_lines,
                reason: req.reason.clone(),
                refund_cents: refund,
                created_at: now,
                received_at: None,
                refunded_at: None,
            };
            let return_sk = format!("RETURN#{}#{}", time_key(now), ret.id);
            let mut item = to_item(&ret)?;
            item.insert("pk".into(), order_key(order_id).pk.into());
            item.insert("sk".into(), return_sk.clone().into());
            let return_index = ops.len();
            ops.push(WriteOp::Put {
                item,
                cond: Some(Cond::NotExists),
            });
            let idem_index = ops.len();
            if let Some(key) = &idempotency_key {
                let item = idem_item(
                    &return_idem_key(user.id, &key.key),
                    &print,
                    now.timestamp() + key.ttl_secs,
                    &[
                        ("order_id", order_id.to_string()),
                        ("return_sk", return_sk.clone()),
                    ],
                );
                ops.push(WriteOp::Put {
                    item,
                    cond: Some(Cond::NotExists),
                });
            }
            let receipt = ReturnReceipt {
                return_: ret.clone(),
                order: after.clone().into_order(),
            };
            ops.push(self.wakeup.emit(EventType::ReturnRequested, &receipt)?);
            let probe = Probe {
                key: Key::new(order_key(order_id).pk, return_sk),
                fence: true,
            };
            match transact_resolved(store, ops, &probe).await {
                Err(StoreError::Unknown(cause)) => {
                    return Err(Error::OutcomeUnknown {
                        what: "return",
                        location: Some(format!("/api/v1/orders/{order_id}/returns")),
                        cause,
                    });
                }
                Ok(()) => {
                    return Ok((receipt, true));
                }
                Err(StoreError::ConditionFailed(failed)) => {
                    if failed.contains(&idem_index)
                        && let Some(key) = &idempotency_key
                        && let Some(receipt) =
                            replay_return(store, user.id, &key.key, &print).await?
                    {
                        return Ok((receipt, false));
                    }
                    // A new return's key: taken only by an earlier attempt of this very write.
                    if failed.contains(&return_index)
                        && let Some(stored) = store.get(&probe.key).await?
                        && !is_void(&stored)
                    {
                        return Ok((receipt, true));
                    }
                    // The order moved (another return) or a key expired: read again.
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        refuse(Error::Conflict(
            ProblemCode::Conflict,
            "the order changed while returning; retry".into(),
        ))
        .await
    }

    /// The returns of an order, oldest first: every one, over as many store queries as that takes.
    /// (An order has at most as many returns as copies bought, up to 50 lines of 1,000.)
    pub async fn returns_of(&self, user: &Actor, order_id: OrderId) -> Result<Vec<Return>> {
        self.get_own(user, order_id).await?;
        self.list_returns(order_id).await
    }

    pub(crate) async fn list_returns(&self, order_id: OrderId) -> Result<Vec<Return>> {
        let store = self.store.as_ref();
        let mut query = Query {
            index: None,
            pk: order_key(order_id).pk,
            sk_prefix: Some("RETURN#".into()),
            forward: true,
            limit: RETURNS_PAGE,
            start: None,
        };
        let mut out = Vec::new();
        loop {
            let page = store.query(&query).await?;
            for item in page.items {
                // A return whose write was fenced off (see `outcome`) did not happen.
                if !is_void(&item) {
                    out.push(from_item(item)?);
                }
            }
            match page.last_key {
                Some(last) => query.start = Some(last),
                None => return Ok(out),
            }
        }
    }
}

/// What identifies a return request: the order, its lines (in any order) and the reason.
fn return_fingerprint(order_id: OrderId, req: &CreateReturn) -> String {
    json!([order_id.to_string(), sorted_lines(&req.lines), req.reason]).to_string()
}

/// Returns read per store query.
const RETURNS_PAGE: usize = 1000;
