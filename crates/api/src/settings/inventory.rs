//! The shop's stock settings.
use serde::Deserialize;

/// The shop's stock (section `inventory`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InventorySettings {
    /// A book without a threshold of its own is low on stock at or below this many copies
    /// (`stock.low` is raised when its stock crosses it).
    pub low_stock_threshold: u32,
    /// How long one instance serves the staff's inventory listing from the snapshot of every
    /// book it read (~200 bytes a book: ~20 MiB for 100,000); its own catalogue writes forget
    /// it at once, sales and other instances' writes show within this; 0 = read per request.
    pub snapshot_max_age_ms: u64,
}

impl Default for InventorySettings {
    fn default() -> Self {
        Self {
            low_stock_threshold: 5,
            snapshot_max_age_ms: 5000,
        }
    }
}
