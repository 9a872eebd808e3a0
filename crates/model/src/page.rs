use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One page of a listing. Pass `next_cursor` back as `cursor` for the next page; it is
/// `null` on the last page. Cursors are opaque and signed: an edited one is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
