//! Table management: the table, its global secondary indexes and TTL (`bookstore dynamo init`).
use super::DynamoStore;
use super::errors::{invalid, read_error};
use crate::StoreError;
use crate::keys::INDEXES;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use std::time::Duration;

/// Whether a key attribute (of the table or an index) is a number; every other one is a string.
pub(super) fn numeric_key(name: &str) -> bool {
    matches!(name, "price_cents" | "sold")
}

impl DynamoStore {
    /// Creates the table, its indexes and TTL if missing, and waits until it is active.
    pub async fn init(&self) -> Result<bool, StoreError> {
        let mut attrs: Vec<&str> = vec!["pk", "sk"];
        for def in INDEXES {
            for a in [def.pk, def.sk] {
                if !attrs.contains(&a) {
                    attrs.push(a);
                }
            }
        }
        let mut req = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?);
        for a in attrs {
            req = req.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(a)
                    .attribute_type(if numeric_key(a) {
                        ScalarAttributeType::N
                    } else {
                        ScalarAttributeType::S
                    })
                    .build()
                    .map_err(invalid)?,
            );
        }
        for def in INDEXES {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(def.name)
                    .key_schema(key(def.pk, KeyType::Hash)?)
                    .key_schema(key(def.sk, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::KeysOnly)
                            .build(),
                    )
                    .build()
                    .map_err(invalid)?,
            );
        }
        let created = match req.send().await {
            Ok(_) => true,
            Err(e) if e.code() == Some("ResourceInUseException") => false,
            Err(e) => return Err(read_error(e)),
        };
        for _ in 0..600 {
            let out = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(read_error)?;
            let status = out
                .table()
                .and_then(|t| t.table_status())
                .map(|s| s.as_str().to_owned());
            if status.as_deref() == Some("ACTIVE") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let ttl = self
            .client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name("ttl")
                    .build()
                    .map_err(invalid)?,
            )
            .send()
            .await;
        match ttl {
            Ok(_) => {}
            // Already enabled.
            Err(e) if e.code() == Some("ValidationException") => {}
            Err(e) => return Err(read_error(e)),
        }
        Ok(created)
    }

    pub async fn delete_table(&self) -> Result<(), StoreError> {
        self.client
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(read_error)?;
        Ok(())
    }
}

fn key(name: &str, kt: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kt)
        .build()
        .map_err(invalid)
}
