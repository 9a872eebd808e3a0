//! `/api/v1/admin`: every handler takes an `AdminUser`, so a customer token gets 403 and a
//! missing or bad one 401.
pub mod audit;
pub mod books;
pub mod orders;

use actix_web::{Scope, web};

pub fn scope() -> Scope {
    web::scope("/admin")
        .service(books::scope())
        .service(orders::scope())
        .service(audit::scope())
}
