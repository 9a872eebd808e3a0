//! `/api/v1/admin/...`, one file per resource.
mod api_keys;
mod audit;
mod books;
mod exports;
mod genres;
mod imports;
mod imports_resume;
mod inventory;
mod orders;
mod staff;
mod stats;
mod stock;
mod webhooks;
