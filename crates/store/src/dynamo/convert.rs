//! DynamoDB's side of items and expressions: JSON values to attribute values and back, and the
//! condition and update expressions of the store's write operations.
use super::errors::invalid;
use crate::{Cond, Item, Key, Path, StoreError, WriteOp};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use serde_json::{Number, Value};
use std::collections::HashMap;

pub(super) fn to_av(v: &Value) -> AttributeValue {
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(to_av).collect()),
        Value::Object(o) => {
            AttributeValue::M(o.iter().map(|(k, v)| (k.clone(), to_av(v))).collect())
        }
    }
}

pub(super) fn from_av(av: &AttributeValue) -> Value {
    match av {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                n.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            })
            .unwrap_or(Value::Null),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::L(l) => Value::Array(l.iter().map(from_av).collect()),
        AttributeValue::M(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), from_av(v))).collect())
        }
        AttributeValue::Ss(ss) => Value::Array(ss.iter().cloned().map(Value::String).collect()),
        _ => Value::Null,
    }
}

pub(super) fn to_attrs(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()
}

pub(super) fn from_attrs(attrs: &HashMap<String, AttributeValue>) -> Item {
    attrs.iter().map(|(k, v)| (k.clone(), from_av(v))).collect()
}

pub(super) fn key_attrs(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Collects placeholder names and values while an expression is written.
#[derive(Default)]
pub(super) struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub(super) fn name(&mut self, n: &str) -> String {
        if let Some((k, _)) = self.names.iter().find(|(_, v)| v.as_str() == n) {
            return k.clone();
        }
        let k = format!("#n{}", self.names.len());
        self.names.insert(k.clone(), n.to_owned());
        k
    }

    pub(super) fn path(&mut self, p: &Path) -> String {
        p.0.iter()
            .map(|part| self.name(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    pub(super) fn value(&mut self, v: AttributeValue) -> String {
        let k = format!(":v{}", self.values.len());
        self.values.insert(k.clone(), v);
        k
    }

    pub(super) fn cond(&mut self, c: &Cond) -> String {
        match c {
            Cond::Exists => format!("attribute_exists({})", self.name("pk")),
            Cond::NotExists => format!("attribute_not_exists({})", self.name("pk")),
            Cond::Ge(p, n) => {
                let p = self.path(p);
                format!("{p} >= {}", self.value(AttributeValue::N(n.to_string())))
            }
            Cond::Le(p, n) => {
                let p = self.path(p);
                format!("{p} <= {}", self.value(AttributeValue::N(n.to_string())))
            }
            Cond::Eq(p, v) => {
                let p = self.path(p);
                format!("{p} = {}", self.value(to_av(v)))
            }
            Cond::And(all) if all.is_empty() => format!(
                "attribute_exists({}) OR attribute_not_exists({})",
                self.name("pk"),
                self.name("pk")
            ),
            Cond::And(all) => all
                .iter()
                .map(|c| format!("({})", self.cond(c)))
                .collect::<Vec<_>>()
                .join(" AND "),
        }
    }

    pub(super) fn update(&mut self, set: &[(Path, Value)], add: &[(Path, i64)]) -> String {
        let mut parts = Vec::new();
        for (p, v) in set {
            let p = self.path(p);
            let v = self.value(to_av(v));
            parts.push(format!("{p} = {v}"));
        }
        let zero = if add.is_empty() {
            String::new()
        } else {
            self.value(AttributeValue::N("0".into()))
        };
        for (p, d) in add {
            let p = self.path(p);
            let d = self.value(AttributeValue::N(d.to_string()));
            parts.push(format!("{p} = if_not_exists({p}, {zero}) + {d}"));
        }
        if parts.is_empty() {
            // An update that only creates the item if missing: touch the key.
            let pk = self.name("pk");
            return format!("SET {pk} = {pk}");
        }
        format!("SET {}", parts.join(", "))
    }

    pub(super) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(super) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

pub(super) fn transact_item(table: &str, op: &WriteOp) -> Result<TransactWriteItem, StoreError> {
    let mut e = Expr::default();
    let item = match op {
        WriteOp::Put { item, cond } => {
            let c = cond.as_ref().map(|c| e.cond(c));
            TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(to_attrs(item)))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
        WriteOp::Update {
            key,
            set,
            add,
            cond,
        } => {
            let u = e.update(set, add);
            let c = cond.as_ref().map(|c| e.cond(c));
            TransactWriteItem::builder().update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression(u)
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
        WriteOp::Delete { key, cond } => {
            let c = cond.as_ref().map(|c| e.cond(c));
            TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
        WriteOp::Check { key, cond } => {
            let c = e.cond(cond);
            TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
    };
    Ok(item.build())
}
