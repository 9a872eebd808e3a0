//! `/api/v1/admin/...`, one file per resource.
mod audit;
mod books;
mod orders;
mod webhooks;
