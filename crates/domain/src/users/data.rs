//! An account's data: its export, and its deletion.
//!
//! Deleting an account removes the person's data (the user item, the addresses and their
//! counter, the cart) and keeps the orders for the shop's books: each keeps its `user_id` and
//! loses its `customer_email`. The orders are scrubbed before the account goes (a failure leaves an
//! account that can try again) and once more after (an order placed meanwhile).
use super::{Account, Users, user_key};
use crate::actor::Actor;
use crate::addresses::Addresses;
use crate::cart::Carts;
use crate::error::{Error, Result};
use crate::orders::{Orders, order_key};
use crate::store::keys::ORDERS_BY_USER;
use crate::store::{Cond, Key, Path, Query, StoreError, WriteOp};
use bookstore_model::{AccountExport, ExportedOrder, PageQuery};
use serde_json::Value;

/// Writes per transaction when scrubbing orders (a store transaction takes at most 100).
const SCRUB_BATCH: usize = 100;

impl Users {
    /// Everything kept about the caller: the account (no hash), the addresses, the cart, every
    /// order (all pages) with its returns.
    pub async fn export(
        &self,
        actor: &Actor,
        addresses: &Addresses,
        carts: &Carts,
        orders: &Orders,
    ) -> Result<AccountExport> {
        let user = self.own(actor).await?.user;
        let addresses = addresses.list(actor).await?;
        let cart = carts.get(actor).await?;
        let mut exported = Vec::new();
        let mut q = PageQuery {
            limit: Some(100),
            cursor: None,
        };
        loop {
            let page = orders.list_mine(actor, &q).await?;
            for order in page.items {
                let returns = orders.returns_of(actor, order.id).await?;
                exported.push(ExportedOrder { order, returns });
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        Ok(AccountExport {
            exported_at: chrono::Utc::now(),
            user,
            addresses,
            cart,
            orders: exported,
        })
    }

    /// Deletes the account (already checked: `account` is the caller's, its password given)
    /// and its addresses, takes it off the staff, ends its sessions, and clears
    /// `customer_email` on its orders. 409 `last_owner` for the shop's last owner.
    pub async fn delete(&self, account: &Account, orders: &Orders) -> Result<()> {
        let user = &account.user;
        let (mut ops, owners_at) = self.leave_roster(user).await?;
        if owners_at.is_some() && self.owners().await? < 2 {
            // Checked before the orders are scrubbed; the transaction checks it again.
            return Err(super::staff::last_owner());
        }
        scrub_orders(orders, user).await?;
        let pk = user_key(&user.email).pk;
        for item in self.partition(&pk).await? {
            let Some(key) = Key::of(&item) else {
                continue;
            };
            let cond =
                (key.sk == "USER").then(|| Cond::Eq(Path::attr("id"), user.id.to_string().into()));
            ops.push(WriteOp::Delete { key, cond });
        }
        let result = self.store.transact(ops).await;
        self.forget(&user.email);
        match result {
            Ok(()) => {}
            Err(StoreError::ConditionFailed(failed))
                if owners_at.is_some_and(|i| failed.contains(&i)) =>
            {
                return Err(super::staff::last_owner());
            }
            Err(StoreError::ConditionFailed(_)) => {
                return Err(Error::Conflict(
                    bookstore_model::ProblemCode::Conflict,
                    "the account changed while deleting it; retry".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        scrub_orders(orders, user).await
    }
}

/// Clears `customer_email` on every order of `user` that still has one.
async fn scrub_orders(orders: &Orders, user: &bookstore_model::User) -> Result<()> {
    let store = orders.store.as_ref();
    let mut query = Query {
        index: Some(ORDERS_BY_USER),
        pk: user.id.to_string(),
        sk_prefix: None,
        forward: true,
        limit: SCRUB_BATCH,
        start: None,
    };
    loop {
        let page = store.query(&query).await?;
        let ops: Vec<WriteOp> = page
            .items
            .iter()
            .filter(|item| {
                item.get("customer_email")
                    .and_then(Value::as_str)
                    .is_some_and(|e| !e.is_empty())
            })
            .filter_map(|item| item.get("id").and_then(Value::as_str)?.parse().ok())
            .map(|id| WriteOp::Update {
                key: order_key(id),
                set: vec![(Path::attr("customer_email"), Value::String(String::new()))],
                add: vec![],
                cond: Some(Cond::Exists),
            })
            .collect();
        if !ops.is_empty() {
            store.transact(ops).await?;
        }
        match page.last_key {
            Some(k) => query.start = Some(k),
            None => return Ok(()),
        }
    }
}
