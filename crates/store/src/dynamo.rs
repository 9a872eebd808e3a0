//! The DynamoDB back end: the storage interface on `aws-sdk-dynamodb`.
//!
//! - Items map 1:1 to DynamoDB items (JSON strings → S, integers → N, objects → M, ...).
//! - A one-operation transaction is a plain conditional `PutItem`/`UpdateItem`/`DeleteItem`
//!   (half the write cost of a transaction); more operations are one `TransactWriteItems`.
//! - Table reads are strongly consistent. Indexes project keys only; an index query reads the
//!   keys (eventually consistent, as DynamoDB offers on global secondary indexes) and then the
//!   current items with a consistent `BatchGetItem`, so listed stock is never stale.
//! - Throttling, timeouts and unreachable endpoints become [`StoreError::Unavailable`], which
//!   the API answers with 503 and `Retry-After`; every call is bounded by the SDK's timeouts.
//!   A write that may have been applied all the same is [`StoreError::Unknown`] instead (see
//!   the `errors` module).
//!
//! Split by concern: `table` creates the table and its indexes, `ops` implements the storage
//! interface, `convert` turns items and conditions into attribute values and expressions,
//! `errors` classifies the SDK's errors. Without the `dynamodb` feature only the settings
//! remain, so that configuration files parse the same in a build without the AWS SDK.
#[cfg(feature = "dynamodb")]
mod convert;
#[cfg(feature = "dynamodb")]
mod errors;
#[cfg(feature = "dynamodb")]
mod ops;
#[cfg(feature = "dynamodb")]
mod table;

#[cfg(feature = "dynamodb")]
use aws_sdk_dynamodb::Client;
#[cfg(feature = "dynamodb")]
use std::time::Duration;

/// The DynamoDB client, wrapped once with the table it serves.
#[cfg(feature = "dynamodb")]
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// Where and how to reach DynamoDB.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DynamoSettings {
    pub table: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// A DynamoDB-compatible endpoint such as DynamoDB Local; AWS's own when unset.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Bound on one attempt of a call.
    #[serde(default = "default_attempt_timeout_ms")]
    pub attempt_timeout_ms: u64,
    /// Bound on a whole call, retries included.
    #[serde(default = "default_operation_timeout_ms")]
    pub operation_timeout_ms: u64,
    /// Attempts per call (the SDK's standard retry with exponential backoff and jitter).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

fn default_region() -> String {
    "us-east-1".into()
}
fn default_attempt_timeout_ms() -> u64 {
    1_000
}
fn default_operation_timeout_ms() -> u64 {
    3_000
}
fn default_max_attempts() -> u32 {
    3
}

impl DynamoSettings {
    pub fn local(endpoint: &str, table: &str) -> Self {
        Self {
            table: table.into(),
            region: default_region(),
            endpoint: Some(endpoint.into()),
            attempt_timeout_ms: default_attempt_timeout_ms(),
            operation_timeout_ms: default_operation_timeout_ms(),
            max_attempts: default_max_attempts(),
        }
    }
}

#[cfg(feature = "dynamodb")]
impl DynamoStore {
    pub async fn connect(s: &DynamoSettings) -> Self {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_millis(s.attempt_timeout_ms))
            .operation_attempt_timeout(Duration::from_millis(s.attempt_timeout_ms))
            .operation_timeout(Duration::from_millis(s.operation_timeout_ms))
            .build();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(s.region.clone()))
            .timeout_config(timeouts)
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(s.max_attempts),
            );
        if let Some(endpoint) = &s.endpoint {
            loader = loader.endpoint_url(endpoint);
            // A local engine accepts any credentials; real ones come from the default chain.
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                loader = loader.test_credentials();
            }
        }
        let config = loader.load().await;
        Self {
            client: Client::new(&config),
            table: s.table.clone(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}
