//! Every HTTP call of the app goes through here: a thin layer over the shared typed client
//! (`bookstore-client`, whose reqwest uses the browser's `fetch`) that adds the session's token,
//! turns errors into a cloneable [`ApiError`], and ends the session on a 401.
use crate::session::Session;
use bookstore_client::{Client, ClientError};
use bookstore_model::*;

/// An error as the pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status, `None` when the server could not be reached.
    pub status: Option<u16>,
    /// The problem document, when the API sent one.
    pub problem: Option<Box<Problem>>,
    pub message: String,
}

impl ApiError {
    /// The server was not reached (or its answer was lost): the request may or may not have
    /// been carried out.
    pub fn is_network(&self) -> bool {
        self.status.is_none()
    }

    pub fn code(&self) -> Option<ProblemCode> {
        self.problem.as_ref().map(|p| p.code)
    }

    /// What to tell the user.
    pub fn detail(&self) -> String {
        match (&self.problem, self.status) {
            (Some(p), _) => p.detail.clone(),
            (None, None) => {
                "The shop could not be reached. Check your connection and try again.".to_owned()
            }
            (None, Some(s)) => format!("The shop answered unexpectedly ({s})."),
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        let status = e.status();
        let problem = e.problem().cloned().map(Box::new);
        // A transport error with a status is a body that could not be read; without one, the
        // request never got an answer.
        Self {
            status,
            problem,
            message: e.to_string(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The shop's origin (the API serves the app).
fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// `GET /api/v1/events?books=…` for the browser's `EventSource` (public, no token).
pub fn events_url(books: &[BookId]) -> String {
    let ids: Vec<String> = books.iter().map(ToString::to_string).collect();
    if ids.is_empty() {
        format!("{}{}", origin(), bookstore_model::paths::EVENTS)
    } else {
        format!(
            "{}{}?books={}",
            origin(),
            bookstore_model::paths::EVENTS,
            ids.join(",")
        )
    }
}

/// The API as the current session sees it. Cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct Api {
    session: Session,
}

impl Api {
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    fn anon(&self) -> Client {
        Client::new(origin())
    }

    fn authed(&self) -> Client {
        match self.session.token() {
            Some(t) => self.anon().authed(t),
            None => self.anon(),
        }
    }

    /// Maps the error, ending the session when the token was refused.
    fn check<T>(&self, r: Result<T, ClientError>) -> ApiResult<T> {
        r.map_err(|e| {
            let e = ApiError::from(e);
            if e.status == Some(401) && self.session.token().is_some() {
                self.session.expire();
            }
            e
        })
    }

    // ---- catalogue (public)

    pub async fn books(&self, q: &BookQuery) -> ApiResult<Page<Book>> {
        self.anon().list_books(q).await.map_err(Into::into)
    }

    pub async fn book(&self, id: BookId) -> ApiResult<Book> {
        self.anon().get_book(id).await.map_err(Into::into)
    }

    /// The shop's one currency, that of every price (books carry it too).
    pub async fn shop_currency(&self) -> ApiResult<Currency> {
        self.anon()
            .shipping_options(&ShippingQuery::default())
            .await
            .map(|o| o.currency)
            .map_err(Into::into)
    }

    pub async fn genres(&self) -> ApiResult<Vec<GenreCount>> {
        self.anon().genres().await.map_err(Into::into)
    }

    pub async fn bestsellers(&self, limit: u32) -> ApiResult<Vec<Bestseller>> {
        self.anon()
            .bestsellers(Some(limit))
            .await
            .map_err(Into::into)
    }

    // ---- back-in-stock mails (customer token)

    /// Asks to be mailed once when the sold-out book is back (409 `in_stock` if it has copies).
    pub async fn notify_me(&self, id: BookId) -> ApiResult<()> {
        let r = self.authed().notify_me(id).await;
        self.check(r)
    }

    pub async fn stop_notifying(&self, id: BookId) -> ApiResult<()> {
        let r = self.authed().stop_notifying(id).await;
        self.check(r)
    }

    // ---- accounts

    pub async fn register(&self, req: &RegisterRequest) -> ApiResult<AuthResponse> {
        self.anon().register(req).await.map_err(Into::into)
    }

    pub async fn login(&self, email: &str, password: &str) -> ApiResult<AuthResponse> {
        self.anon().login(email, password).await.map_err(Into::into)
    }

    /// Always answers 202 (whether or not the e-mail has an account): the words to show.
    pub async fn request_password_reset(&self, email: &Email) -> ApiResult<String> {
        let r = self.anon().request_password_reset(email).await;
        r.map(|w| w.value.detail).map_err(Into::into)
    }

    pub async fn reset_password(&self, token: &str, new_password: &Password) -> ApiResult<()> {
        let r = self.anon().reset_password(token, new_password).await;
        r.map_err(Into::into)
    }

    /// Needs no login: the token is the proof.
    pub async fn confirm_email(&self, token: &str) -> ApiResult<()> {
        self.anon().confirm_email(token).await.map_err(Into::into)
    }

    // ---- my account (any logged-in user)

    pub async fn me(&self) -> ApiResult<User> {
        let r = self.authed().me().await;
        self.check(r)
    }

    pub async fn rename(&self, req: &UpdateProfile) -> ApiResult<User> {
        let r = self.authed().update_me(req).await;
        self.check(r)
    }

    /// The answer's token replaces the session's: every other session of the account ends.
    /// A wrong current password is a 403 (`wrong_password`), which keeps the session.
    pub async fn change_password(&self, req: &ChangePassword) -> ApiResult<AuthResponse> {
        let r = self.authed().change_password(req).await;
        self.check(r)
    }

    /// A link goes to the new address; the answer's words say so.
    pub async fn change_email(&self, req: &ChangeEmail) -> ApiResult<String> {
        let r = self.authed().change_email(req).await;
        self.check(r).map(|w| w.value.detail)
    }

    pub async fn export_me(&self) -> ApiResult<AccountExport> {
        let r = self.authed().export_me().await;
        self.check(r)
    }

    pub async fn delete_me(&self, current_password: &str) -> ApiResult<()> {
        let r = self.authed().delete_me(current_password).await;
        self.check(r)
    }

    pub async fn addresses(&self) -> ApiResult<Vec<Address>> {
        let r = self.authed().my_addresses().await;
        self.check(r)
    }

    pub async fn create_address(&self, req: &AddressInput) -> ApiResult<Address> {
        let r = self.authed().create_address(req).await;
        self.check(r).map(|w| w.value)
    }

    pub async fn replace_address(&self, id: AddressId, req: &AddressInput) -> ApiResult<Address> {
        let r = self.authed().replace_address(id, req).await;
        self.check(r)
    }

    pub async fn delete_address(&self, id: AddressId) -> ApiResult<()> {
        let r = self.authed().delete_address(id).await;
        self.check(r)
    }

    // ---- the account's cart

    pub async fn my_cart(&self) -> ApiResult<Cart> {
        let r = self.authed().my_cart().await;
        self.check(r)
    }

    pub async fn save_cart(&self, req: &CartInput) -> ApiResult<Cart> {
        let r = self.authed().replace_my_cart(req).await;
        self.check(r)
    }

    // ---- orders (customer token)

    pub async fn place_order(&self, req: &PlaceOrder, key: &str) -> ApiResult<Order> {
        let r = self.authed().place_order(req, Some(key)).await;
        self.check(r).map(|w| w.value)
    }

    /// Settles a `pending_payment` order after the card's authentication (or a 503).
    pub async fn complete_payment(&self, id: OrderId) -> ApiResult<Order> {
        let r = self.authed().complete_payment(id).await;
        self.check(r)
    }

    /// Cancels an order that has not shipped (the hold on the card is released).
    pub async fn cancel_order(&self, id: OrderId) -> ApiResult<Order> {
        let r = self.authed().cancel_order(id).await;
        self.check(r)
    }

    // ---- checkout (public)

    /// The shipping options to `country`, with the shop's currency.
    pub async fn shipping_options(&self, country: CountryCode) -> ApiResult<ShippingOptions> {
        let q = ShippingQuery {
            country: Some(country),
        };
        self.anon().shipping_options(&q).await.map_err(Into::into)
    }

    /// Where the payment provider's script is, and the shop's publishable key.
    pub async fn payment_config(&self) -> ApiResult<PaymentConfig> {
        self.anon().payment_config().await.map_err(Into::into)
    }

    /// What the order would come to if placed now: the shop's prices, shipping, tax and total.
    pub async fn quote_order(&self, req: &QuoteRequest) -> ApiResult<OrderQuote> {
        let r = self.authed().quote_order(req).await;
        self.check(r)
    }

    pub async fn orders(&self, cursor: Option<String>) -> ApiResult<Page<Order>> {
        let q = PageQuery {
            limit: Some(20),
            cursor,
        };
        let r = self.authed().list_orders(&q).await;
        self.check(r)
    }

    pub async fn order(&self, id: OrderId) -> ApiResult<Order> {
        let r = self.authed().get_order(id).await;
        self.check(r)
    }

    /// A return made at most once per `key`, however often it is retried.
    pub async fn create_return(
        &self,
        id: OrderId,
        req: &CreateReturn,
        key: &str,
    ) -> ApiResult<ReturnReceipt> {
        let r = self
            .authed()
            .create_return_with_key(id, req, Some(key))
            .await
            .map(|r| r.value);
        self.check(r)
    }

    pub async fn returns(&self, id: OrderId) -> ApiResult<Vec<Return>> {
        let r = self.authed().list_returns(id).await;
        self.check(r)
    }

    // ---- admin (staff or owner token)

    pub async fn create_book(&self, book: &NewBook) -> ApiResult<Book> {
        let r = self.authed().admin_create_book(book).await;
        self.check(r)
    }

    pub async fn update_book(
        &self,
        id: BookId,
        version: i64,
        details: &BookDetails,
    ) -> ApiResult<Book> {
        let r = self.authed().admin_update_book(id, version, details).await;
        self.check(r)
    }

    pub async fn delete_book(&self, id: BookId, version: i64) -> ApiResult<()> {
        let r = self.authed().admin_delete_book(id, Some(version)).await;
        self.check(r)
    }

    pub async fn adjust_stock(&self, id: BookId, adj: &StockAdjustment) -> ApiResult<Book> {
        let r = self.authed().admin_adjust_stock(id, adj).await;
        self.check(r)
    }

    /// The inventory, sorted and filtered (the stock levels screen).
    pub async fn inventory(&self, q: &InventoryQuery) -> ApiResult<InventoryPage> {
        let r = self.authed().admin_inventory(q).await;
        self.check(r)
    }

    /// Sets a book's low-stock threshold (`None`: the shop's default).
    pub async fn set_low_stock_threshold(
        &self,
        id: BookId,
        threshold: Option<u32>,
    ) -> ApiResult<InventoryItem> {
        let r = self
            .authed()
            .admin_set_low_stock_threshold(id, threshold)
            .await;
        self.check(r)
    }

    /// Checks a books CSV (a dry run): every problem, nothing written.
    pub async fn check_import(&self, csv: Vec<u8>) -> ApiResult<ImportReport> {
        let r = self.authed().admin_check_import(csv).await;
        self.check(r)
    }

    /// Starts importing a books CSV (applied in the background: poll [`Self::import`]).
    pub async fn start_import(&self, csv: Vec<u8>) -> ApiResult<BookImport> {
        let r = self.authed().admin_start_import(csv).await;
        self.check(r)
    }

    /// An import and its progress.
    pub async fn import(&self, id: ImportId) -> ApiResult<BookImport> {
        let r = self.authed().admin_import(id).await;
        self.check(r)
    }

    /// The latest imports, newest first.
    pub async fn imports(&self, q: &PageQuery) -> ApiResult<Page<BookImport>> {
        let r = self.authed().admin_list_imports(q).await;
        self.check(r)
    }

    /// The catalogue as CSV.
    pub async fn export_books(&self) -> ApiResult<Vec<u8>> {
        let r = self.authed().admin_export_books().await;
        self.check(r)
    }

    /// Orders as CSV, within `q`'s range and status.
    pub async fn export_orders(&self, q: &OrderExportQuery) -> ApiResult<Vec<u8>> {
        let r = self.authed().admin_export_orders(q).await;
        self.check(r)
    }

    /// The shop's list of genres, the only ones a book may have.
    pub async fn admin_genres(&self) -> ApiResult<Vec<GenreCount>> {
        let r = self.authed().admin_genres().await;
        self.check(r)
    }

    /// Every order (of `status`), newest first, or oldest first (the fulfilment queue).
    pub async fn admin_orders(
        &self,
        status: Option<OrderStatus>,
        oldest_first: bool,
        cursor: Option<String>,
    ) -> ApiResult<Page<Order>> {
        let q = OrderQuery {
            status,
            oldest_first: oldest_first.then_some(true),
            limit: Some(20),
            cursor,
        };
        let r = self.authed().admin_list_orders(&q).await;
        self.check(r)
    }

    pub async fn admin_order(&self, id: OrderId) -> ApiResult<Order> {
        let r = self.authed().admin_get_order(id).await;
        self.check(r)
    }

    /// Ships a paid order (the payment is captured) with its carrier and tracking number.
    pub async fn ship_order(&self, id: OrderId, req: &ShipOrder) -> ApiResult<Order> {
        let r = self.authed().admin_ship_order(id, req).await;
        self.check(r)
    }

    pub async fn deliver_order(&self, id: OrderId) -> ApiResult<Order> {
        let r = self.authed().admin_deliver_order(id).await;
        self.check(r)
    }

    pub async fn admin_cancel_order(&self, id: OrderId) -> ApiResult<Order> {
        let r = self.authed().admin_cancel_order(id).await;
        self.check(r)
    }

    /// The order's returns, oldest first: the requested ones wait to be received.
    pub async fn admin_order_returns(&self, id: OrderId) -> ApiResult<Vec<Return>> {
        let r = self.authed().admin_order_returns(id).await;
        self.check(r)
    }

    /// The return's copies arrived: back to stock, and the refund issued at the provider.
    pub async fn receive_return(&self, id: OrderId, ret: ReturnId) -> ApiResult<ReturnReceipt> {
        let r = self.authed().admin_receive_return(id, ret).await;
        self.check(r)
    }

    /// The owner's sales figures over a range.
    pub async fn sales_stats(&self, q: &SalesQuery) -> ApiResult<SalesStats> {
        let r = self.authed().admin_sales_stats(q).await;
        self.check(r)
    }

    /// Every instance's operations figures over a range.
    pub async fn operations_stats(&self, q: &OperationsQuery) -> ApiResult<OperationsStats> {
        let r = self.authed().admin_operations_stats(q).await;
        self.check(r)
    }

    pub async fn audit(&self, cursor: Option<String>, limit: u32) -> ApiResult<Page<AuditEntry>> {
        let q = PageQuery {
            limit: Some(limit),
            cursor,
        };
        let r = self.authed().admin_audit(&q).await;
        self.check(r)
    }

    // ---- webhooks (owner token)

    pub async fn webhooks(&self) -> ApiResult<Vec<Webhook>> {
        let r = self.authed().list_webhooks().await;
        self.check(r)
    }

    pub async fn webhook(&self, id: WebhookId) -> ApiResult<Webhook> {
        let r = self.authed().get_webhook(id).await;
        self.check(r)
    }

    /// The answer carries the signing secret: the only time it is shown.
    pub async fn create_webhook(&self, req: &WebhookRequest) -> ApiResult<WebhookCreated> {
        let r = self.authed().create_webhook(req).await;
        self.check(r)
    }

    pub async fn update_webhook(&self, id: WebhookId, req: &WebhookRequest) -> ApiResult<Webhook> {
        let r = self.authed().update_webhook(id, req).await;
        self.check(r)
    }

    pub async fn delete_webhook(&self, id: WebhookId) -> ApiResult<()> {
        let r = self.authed().delete_webhook(id).await;
        self.check(r)
    }

    pub async fn rotate_webhook_secret(&self, id: WebhookId) -> ApiResult<WebhookSecret> {
        let r = self.authed().rotate_webhook_secret(id).await;
        self.check(r)
    }

    pub async fn webhook_deliveries(
        &self,
        id: WebhookId,
        cursor: Option<String>,
    ) -> ApiResult<Page<Delivery>> {
        let q = DeliveryQuery {
            limit: Some(20),
            cursor,
        };
        let r = self.authed().webhook_deliveries(id, &q).await;
        self.check(r)
    }

    pub async fn retry_delivery(&self, id: WebhookId, event: EventId) -> ApiResult<Delivery> {
        let r = self.authed().retry_webhook_delivery(id, event).await;
        self.check(r)
    }

    // ---- API keys (owner token)

    pub async fn api_keys(&self, cursor: Option<String>) -> ApiResult<Page<ApiKey>> {
        let q = PageQuery {
            limit: Some(50),
            cursor,
        };
        let r = self.authed().list_api_keys(&q).await;
        self.check(r)
    }

    /// The answer holds the key: the only time it is shown.
    pub async fn create_api_key(&self, req: &NewApiKey) -> ApiResult<ApiKeyCreated> {
        let r = self.authed().create_api_key(req).await;
        self.check(r)
    }

    pub async fn revoke_api_key(&self, id: ApiKeyId) -> ApiResult<()> {
        let r = self.authed().revoke_api_key(id).await;
        self.check(r)
    }

    // ---- staff (owner token; accepting an invitation: any or no token)

    pub async fn staff(&self) -> ApiResult<Vec<StaffMember>> {
        let r = self.authed().list_staff().await;
        self.check(r)
    }

    /// The answer holds the invitation's token: the only time it is shown.
    pub async fn invite_staff(&self, req: &NewStaffInvitation) -> ApiResult<StaffInvitation> {
        let r = self.authed().invite_staff(req).await;
        self.check(r)
    }

    pub async fn change_staff_role(&self, id: UserId, role: Role) -> ApiResult<StaffMember> {
        let r = self.authed().change_staff_role(id, role).await;
        self.check(r)
    }

    pub async fn remove_staff(&self, id: UserId) -> ApiResult<()> {
        let r = self.authed().remove_staff(id).await;
        self.check(r)
    }

    /// Logged in, as the invited account; or not, with a name and password for a new one.
    pub async fn accept_staff_invitation(
        &self,
        req: &AcceptStaffInvitation,
    ) -> ApiResult<AuthResponse> {
        let r = self.authed().accept_staff_invitation(req).await;
        self.check(r)
    }
}
