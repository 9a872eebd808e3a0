//! DynamoDB's failures as [`StoreError`]s: what the caller may retry, what the client's input
//! caused, and which writes may have been applied although the call failed.
use crate::StoreError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Service error codes of overload: DynamoDB refused the request, the caller may retry later.
const OVERLOAD: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ServiceUnavailable",
];

/// Whether a `ValidationException`'s message is about a size limit (a key over 1 KB or 2 KB, an
/// item over 400 KB): input the store cannot hold, not a malformed request of ours.
fn is_size_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("size") && (m.contains("exceed") || m.contains("limit") || m.contains("too large"))
}

/// A service error of a request that DynamoDB answered, by its code.
fn service_error(code: &str, message: &str) -> StoreError {
    let msg = format!("{code}: {message}");
    if OVERLOAD.contains(&code) || code == "InternalServerError" {
        StoreError::Unavailable(msg)
    } else if code == "ValidationException" && is_size_limit(message) {
        StoreError::TooLarge(msg)
    } else {
        StoreError::Internal(msg)
    }
}

/// Maps a failed read: overload and transport problems are retryable unavailability.
pub(super) fn read_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(format!("{e:?}"))
        }
        SdkError::ServiceError(se) => service_error(
            se.err().code().unwrap_or_default(),
            se.err().message().unwrap_or_default(),
        ),
        _ => StoreError::Internal(format!("{e:?}")),
    }
}

/// Maps a failed query. A query continuing from a start key that DynamoDB refuses (it checks
/// the key against the table's schema and the key condition) is the cursor's fault.
pub(super) fn query_error<E, R>(e: SdkError<E, R>, has_start: bool) -> StoreError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let start_refused = has_start
        && e.code() == Some("ValidationException")
        && e.message()
            .is_some_and(|m| m.to_ascii_lowercase().contains("start"));
    if start_refused {
        StoreError::InvalidStart(e.message().unwrap_or_default().to_owned())
    } else {
        read_error(e)
    }
}

/// Maps a failed write. Only an answer from DynamoDB says what happened: the error of a call is
/// its last attempt's, so after a timeout or a lost connection an earlier attempt may have been
/// applied, even when the last one was refused for overload. All of these are
/// [`StoreError::Unknown`], for the caller to resolve by reading back. (A transaction's
/// attempts share one `ClientRequestToken`, so DynamoDB answers a repeat of an applied one
/// with success; `TransactionInProgressException` means an attempt is still being applied.)
pub(super) fn write_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or_default();
            let message = se.err().message().unwrap_or_default();
            if code == "ConditionalCheckFailedException" {
                return StoreError::ConditionFailed(vec![0]);
            }
            match service_error(code, message) {
                StoreError::Unavailable(m) => StoreError::Unknown(m),
                _ if code == "TransactionInProgressException" => {
                    StoreError::Unknown(format!("{code}: {message}"))
                }
                other => other,
            }
        }
        SdkError::ConstructionFailure(_) => StoreError::Internal(format!("{e:?}")),
        _ => StoreError::Unknown(format!("{e:?}")),
    }
}

/// A transaction's cancellation reason that refuses its input as too large.
pub(super) fn too_large_reason(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError") && message.is_some_and(is_size_limit)
}

/// A request the SDK's builders refused: a bug of ours, never a transient problem.
pub(super) fn invalid(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limits_are_the_inputs_fault_and_other_validation_errors_ours() {
        let too_large = [
            "One or more parameter values were invalid: Aggregated size of all range keys has \
             exceeded the size limit of 1024 bytes",
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum \
             size limit of2048 bytes",
            "Item size has exceeded the maximum allowed size",
        ];
        for m in too_large {
            assert!(
                matches!(
                    service_error("ValidationException", m),
                    StoreError::TooLarge(_)
                ),
                "{m}"
            );
        }
        assert!(matches!(
            service_error(
                "ValidationException",
                "Invalid UpdateExpression: Syntax error"
            ),
            StoreError::Internal(_)
        ));
        assert!(matches!(
            service_error("ThrottlingException", "slow down"),
            StoreError::Unavailable(_)
        ));
    }
}
