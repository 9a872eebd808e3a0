//! The API's paths as clients build them. The typed client (and through it the SPA and the load
//! generator) takes every path from here; a test checks each template against the OpenAPI
//! document the server generates from its routes, so the two cannot drift apart.
use crate::{AddressId, ApiKeyId, BookId, EventId, ImportId, OrderId, ReturnId, UserId, WebhookId};

pub const BOOKS: &str = "/api/v1/books";
pub const GENRES: &str = "/api/v1/genres";
pub const BESTSELLERS: &str = "/api/v1/bestsellers";
pub const EVENTS: &str = "/api/v1/events";
pub const REGISTER: &str = "/api/v1/auth/register";
pub const LOGIN: &str = "/api/v1/auth/login";
pub const PASSWORD_RESET: &str = "/api/v1/auth/password-reset";
pub const PASSWORD_RESET_CONFIRM: &str = "/api/v1/auth/password-reset/confirm";
pub const ME: &str = "/api/v1/me";
pub const MY_PASSWORD: &str = "/api/v1/me/password";
pub const MY_EMAIL: &str = "/api/v1/me/email";
pub const MY_EMAIL_CONFIRM: &str = "/api/v1/me/email/confirm";
pub const MY_EXPORT: &str = "/api/v1/me/export";
pub const MY_ADDRESSES: &str = "/api/v1/me/addresses";
pub const MY_CART: &str = "/api/v1/me/cart";
pub const SHIPPING_OPTIONS: &str = "/api/v1/shipping-options";
pub const PAYMENT_CONFIG: &str = "/api/v1/payment-config";
pub const ORDERS: &str = "/api/v1/orders";
pub const ORDER_QUOTE: &str = "/api/v1/orders/quote";
pub const ADMIN_BOOKS: &str = "/api/v1/admin/books";
pub const ADMIN_GENRES: &str = "/api/v1/admin/genres";
pub const ADMIN_INVENTORY: &str = "/api/v1/admin/inventory";
pub const ADMIN_ORDERS: &str = "/api/v1/admin/orders";
pub const ADMIN_IMPORTS: &str = "/api/v1/admin/imports";
pub const ADMIN_IMPORT_BOOKS: &str = "/api/v1/admin/imports/books";
pub const ADMIN_EXPORT_BOOKS: &str = "/api/v1/admin/exports/books";
pub const ADMIN_EXPORT_ORDERS: &str = "/api/v1/admin/exports/orders";
pub const ADMIN_AUDIT: &str = "/api/v1/admin/audit";
pub const ADMIN_WEBHOOKS: &str = "/api/v1/admin/webhooks";
pub const ADMIN_API_KEYS: &str = "/api/v1/admin/api-keys";
pub const ADMIN_STAFF: &str = "/api/v1/admin/staff";
pub const ADMIN_STAFF_INVITATIONS: &str = "/api/v1/admin/staff/invitations";
pub const ADMIN_STATS_SALES: &str = "/api/v1/admin/stats/sales";
pub const ADMIN_STATS_OPERATIONS: &str = "/api/v1/admin/stats/operations";
pub const STAFF_INVITATION_ACCEPT: &str = "/api/v1/staff-invitations/accept";

pub fn book(id: BookId) -> String {
    format!("{BOOKS}/{id}")
}

pub fn book_notify_me(id: BookId) -> String {
    format!("{BOOKS}/{id}/notify-me")
}

pub fn order(id: OrderId) -> String {
    format!("{ORDERS}/{id}")
}

pub fn order_returns(id: OrderId) -> String {
    format!("{ORDERS}/{id}/returns")
}

pub fn order_cancel(id: OrderId) -> String {
    format!("{ORDERS}/{id}/cancel")
}

pub fn order_payment(id: OrderId) -> String {
    format!("{ORDERS}/{id}/payment")
}

pub fn admin_order(id: OrderId) -> String {
    format!("{ADMIN_ORDERS}/{id}")
}

pub fn admin_order_action(id: OrderId, action: &str) -> String {
    format!("{ADMIN_ORDERS}/{id}/{action}")
}

pub fn admin_order_returns(id: OrderId) -> String {
    format!("{ADMIN_ORDERS}/{id}/returns")
}

pub fn admin_receive_return(id: OrderId, return_id: ReturnId) -> String {
    format!("{ADMIN_ORDERS}/{id}/returns/{return_id}/receive")
}

pub fn my_address(id: AddressId) -> String {
    format!("{MY_ADDRESSES}/{id}")
}

pub fn admin_genre(genre: &crate::Genre) -> String {
    format!("{ADMIN_GENRES}/{genre}")
}

pub fn admin_book(id: BookId) -> String {
    format!("{ADMIN_BOOKS}/{id}")
}

pub fn admin_book_stock(id: BookId) -> String {
    format!("{ADMIN_BOOKS}/{id}/stock")
}

pub fn admin_book_threshold(id: BookId) -> String {
    format!("{ADMIN_BOOKS}/{id}/low-stock-threshold")
}

pub fn admin_webhook(id: WebhookId) -> String {
    format!("{ADMIN_WEBHOOKS}/{id}")
}

pub fn admin_webhook_secret(id: WebhookId) -> String {
    format!("{ADMIN_WEBHOOKS}/{id}/secret")
}

pub fn admin_webhook_deliveries(id: WebhookId) -> String {
    format!("{ADMIN_WEBHOOKS}/{id}/deliveries")
}

pub fn admin_webhook_retry(id: WebhookId, delivery: EventId) -> String {
    format!("{ADMIN_WEBHOOKS}/{id}/deliveries/{delivery}/retry")
}

pub fn admin_staff_member(id: UserId) -> String {
    format!("{ADMIN_STAFF}/{id}")
}

pub fn admin_staff_role(id: UserId) -> String {
    format!("{ADMIN_STAFF}/{id}/role")
}

pub fn admin_import(id: ImportId) -> String {
    format!("{ADMIN_IMPORTS}/{id}")
}

pub fn admin_api_key(id: ApiKeyId) -> String {
    format!("{ADMIN_API_KEYS}/{id}")
}

/// Every path above as the OpenAPI document writes it (`{id}` for an id).
pub const TEMPLATES: &[&str] = &[
    BOOKS,
    ADMIN_IMPORTS,
    ADMIN_IMPORT_BOOKS,
    "/api/v1/admin/imports/{id}",
    ADMIN_EXPORT_BOOKS,
    ADMIN_EXPORT_ORDERS,
    "/api/v1/books/{id}",
    "/api/v1/books/{id}/notify-me",
    GENRES,
    BESTSELLERS,
    EVENTS,
    REGISTER,
    LOGIN,
    PASSWORD_RESET,
    PASSWORD_RESET_CONFIRM,
    ME,
    MY_PASSWORD,
    MY_EMAIL,
    MY_EMAIL_CONFIRM,
    MY_EXPORT,
    MY_ADDRESSES,
    "/api/v1/me/addresses/{id}",
    MY_CART,
    SHIPPING_OPTIONS,
    PAYMENT_CONFIG,
    ORDERS,
    ORDER_QUOTE,
    "/api/v1/orders/{id}",
    "/api/v1/orders/{id}/returns",
    "/api/v1/orders/{id}/cancel",
    "/api/v1/orders/{id}/payment",
    ADMIN_BOOKS,
    "/api/v1/admin/books/{id}",
    "/api/v1/admin/books/{id}/stock",
    "/api/v1/admin/books/{id}/low-stock-threshold",
    ADMIN_GENRES,
    "/api/v1/admin/genres/{name}",
    ADMIN_INVENTORY,
    ADMIN_ORDERS,
    "/api/v1/admin/orders/{id}",
    "/api/v1/admin/orders/{id}/ship",
    "/api/v1/admin/orders/{id}/deliver",
    "/api/v1/admin/orders/{id}/cancel",
    "/api/v1/admin/orders/{id}/returns",
    "/api/v1/admin/orders/{id}/returns/{return_id}/receive",
    ADMIN_AUDIT,
    ADMIN_WEBHOOKS,
    "/api/v1/admin/webhooks/{id}",
    "/api/v1/admin/webhooks/{id}/secret",
    "/api/v1/admin/webhooks/{id}/deliveries",
    "/api/v1/admin/webhooks/{id}/deliveries/{delivery}/retry",
    ADMIN_API_KEYS,
    "/api/v1/admin/api-keys/{id}",
    ADMIN_STAFF,
    ADMIN_STAFF_INVITATIONS,
    ADMIN_STATS_SALES,
    ADMIN_STATS_OPERATIONS,
    "/api/v1/admin/staff/{user_id}",
    "/api/v1/admin/staff/{user_id}/role",
    STAFF_INVITATION_ACCEPT,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The functions build what the templates say.
    #[test]
    fn paths_fill_their_templates() {
        let (book_id, order_id, address_id) = (BookId::new(), OrderId::new(), AddressId::new());
        for (built, template, id) in [
            (book(book_id), "/api/v1/books/{id}", book_id.to_string()),
            (
                book_notify_me(book_id),
                "/api/v1/books/{id}/notify-me",
                book_id.to_string(),
            ),
            (order(order_id), "/api/v1/orders/{id}", order_id.to_string()),
            (
                my_address(address_id),
                "/api/v1/me/addresses/{id}",
                address_id.to_string(),
            ),
            (
                order_returns(order_id),
                "/api/v1/orders/{id}/returns",
                order_id.to_string(),
            ),
            (
                admin_book(book_id),
                "/api/v1/admin/books/{id}",
                book_id.to_string(),
            ),
            (
                admin_book_stock(book_id),
                "/api/v1/admin/books/{id}/stock",
                book_id.to_string(),
            ),
            (
                admin_book_threshold(book_id),
                "/api/v1/admin/books/{id}/low-stock-threshold",
                book_id.to_string(),
            ),
        ] {
            assert!(TEMPLATES.contains(&template));
            assert_eq!(built, template.replace("{id}", &id));
        }
        let (hook, event) = (WebhookId::new(), EventId::new());
        for (built, template) in [
            (admin_webhook(hook), "/api/v1/admin/webhooks/{id}"),
            (
                admin_webhook_secret(hook),
                "/api/v1/admin/webhooks/{id}/secret",
            ),
            (
                admin_webhook_deliveries(hook),
                "/api/v1/admin/webhooks/{id}/deliveries",
            ),
        ] {
            assert!(TEMPLATES.contains(&template));
            assert_eq!(built, template.replace("{id}", &hook.to_string()));
        }
        let key = ApiKeyId::new();
        let template = "/api/v1/admin/api-keys/{id}";
        assert!(TEMPLATES.contains(&template));
        assert_eq!(
            admin_api_key(key),
            template.replace("{id}", &key.to_string())
        );
        let user = UserId::new();
        for (built, template) in [
            (admin_staff_member(user), "/api/v1/admin/staff/{user_id}"),
            (admin_staff_role(user), "/api/v1/admin/staff/{user_id}/role"),
        ] {
            assert!(TEMPLATES.contains(&template));
            assert_eq!(built, template.replace("{user_id}", &user.to_string()));
        }
        let genre = crate::Genre::parse("science-fiction").unwrap();
        let template = "/api/v1/admin/genres/{name}";
        assert!(TEMPLATES.contains(&template));
        assert_eq!(
            admin_genre(&genre),
            template.replace("{name}", "science-fiction")
        );
        let template = "/api/v1/admin/webhooks/{id}/deliveries/{delivery}/retry";
        assert!(TEMPLATES.contains(&template));
        assert_eq!(
            admin_webhook_retry(hook, event),
            template
                .replace("{id}", &hook.to_string())
                .replace("{delivery}", &event.to_string())
        );
    }
}
