//! The embedded store's memory (section `embedded`): its caches and write buffers, in MiB.
//! With the catalogue's caches (`book_json_cache_bytes`, `search_*_cache_bytes`, the
//! inventory snapshot) they bound what the process holds; README states the sum.
use bookstore_store::embedded::EmbeddedConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedSettings {
    /// Table blocks, their indexes and filters (decompressed).
    pub block_cache_mib: u64,
    /// Committed items, for point reads and the writer's condition checks.
    pub item_cache_mib: u64,
    /// Index ranges that listings and searches scan.
    pub range_cache_mib: u64,
    /// Each of the two keyspaces' memtables; applies to a store created with it (fjall keeps
    /// a keyspace's memtable size from its creation).
    pub memtable_mib: u64,
    /// The journal on disk before memtables are flushed to let it go (at least 64).
    pub journal_mib: u64,
}

impl Default for EmbeddedSettings {
    fn default() -> Self {
        let d = EmbeddedConfig::default();
        Self {
            block_cache_mib: d.block_cache_bytes >> 20,
            item_cache_mib: (d.item_cache_bytes >> 20) as u64,
            range_cache_mib: (d.range_cache_bytes >> 20) as u64,
            memtable_mib: d.memtable_bytes >> 20,
            journal_mib: d.journal_bytes >> 20,
        }
    }
}

impl EmbeddedSettings {
    pub fn config(&self) -> EmbeddedConfig {
        let bytes = |mib: u64| mib.saturating_mul(1 << 20);
        EmbeddedConfig {
            block_cache_bytes: bytes(self.block_cache_mib),
            item_cache_bytes: usize::try_from(bytes(self.item_cache_mib)).unwrap_or(usize::MAX),
            range_cache_bytes: usize::try_from(bytes(self.range_cache_mib)).unwrap_or(usize::MAX),
            memtable_bytes: bytes(self.memtable_mib.max(1)),
            journal_bytes: bytes(self.journal_mib.max(64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn sizes_load_from_a_file_default_to_the_stores_and_typos_stop_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shop.toml");
        std::fs::write(
            &file,
            "[embedded]\nblock_cache_mib = 32\nmemtable_mib = 8\n",
        )
        .unwrap();
        let c = Settings::load(Some(&file)).unwrap().embedded.config();
        assert_eq!(c.block_cache_bytes, 32 << 20);
        assert_eq!(c.memtable_bytes, 8 << 20);
        let d = EmbeddedConfig::default();
        assert_eq!(c.item_cache_bytes, d.item_cache_bytes);
        assert_eq!(c.journal_bytes, d.journal_bytes);
        assert_eq!(EmbeddedSettings::default().config(), d);
        std::fs::write(&file, "[embedded]\nblock_cache_mb = 32\n").unwrap();
        assert!(Settings::load(Some(&file)).is_err());
    }
}
