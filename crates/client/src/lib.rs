//! A typed client of the bookstore API, one method per endpoint, sharing the server's model
//! types so the two cannot disagree on shapes. Compiles for `wasm32-unknown-unknown` (reqwest
//! uses `fetch` there).
use bookstore_model::*;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with a problem document.
    #[error("{0}")]
    Api(Box<Problem>),
    /// The API answered with something that is not the expected JSON.
    #[error("unexpected response ({status}): {body}")]
    Unexpected { status: u16, body: String },
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The problem document, if the API sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Api(p) => Some(p),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<ProblemCode> {
        self.problem().map(|p| p.code)
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(p) => Some(p.status),
            Self::Unexpected { status, .. } => Some(*status),
            Self::Transport(e) => e.status().map(|s| s.as_u16()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// An answer with its status, for endpoints where the status carries meaning (201 vs 200).
#[derive(Debug, Clone)]
pub struct WithStatus<T> {
    pub status: u16,
    pub value: T,
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the shop's origin, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_http(reqwest::Client::new(), base)
    }

    pub fn with_http(http: reqwest::Client, base: impl Into<String>) -> Self {
        Self {
            http,
            base: base.into().trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    /// The same client, authenticated with `token`.
    pub fn authed(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<WithStatus<T>> {
        Self::decode(req.send().await?).await
    }

    async fn decode<T: DeserializeOwned>(res: reqwest::Response) -> Result<WithStatus<T>> {
        let status = res.status();
        let bytes = res.bytes().await?;
        if status.is_success() {
            let value = serde_json::from_slice(if bytes.is_empty() { b"null" } else { &bytes })
                .map_err(|_| ClientError::Unexpected {
                    status: status.as_u16(),
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                })?;
            return Ok(WithStatus {
                status: status.as_u16(),
                value,
            });
        }
        Err(match serde_json::from_slice::<Problem>(&bytes) {
            Ok(p) => ClientError::Api(Box::new(p)),
            Err(_) => ClientError::Unexpected {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            },
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        Ok(Self::send(self.request(Method::GET, path)).await?.value)
    }

    async fn get_query<T: DeserializeOwned, Q: Serialize>(&self, path: &str, q: &Q) -> Result<T> {
        Ok(Self::send(self.request(Method::GET, path).query(q))
            .await?
            .value)
    }

    async fn post<T: DeserializeOwned, B: Serialize>(&self, path: &str, body: &B) -> Result<T> {
        Ok(Self::send(self.request(Method::POST, path).json(body))
            .await?
            .value)
    }

    /// A request whose success has no body (204).
    async fn no_content(&self, method: Method, path: &str) -> Result<()> {
        let res = self.request(method, path).send().await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    // ---- catalogue

    pub async fn list_books(&self, q: &BookQuery) -> Result<Page<Book>> {
        self.get_query(paths::BOOKS, q).await
    }

    pub async fn get_book(&self, id: BookId) -> Result<Book> {
        self.get(&paths::book(id)).await
    }

    /// Asks to be mailed when the sold-out book is back in stock.
    pub async fn notify_me(&self, id: BookId) -> Result<()> {
        self.no_content(Method::PUT, &paths::book_notify_me(id))
            .await
    }

    pub async fn stop_notifying(&self, id: BookId) -> Result<()> {
        self.no_content(Method::DELETE, &paths::book_notify_me(id))
            .await
    }

    pub async fn genres(&self) -> Result<Vec<GenreCount>> {
        self.get(paths::GENRES).await
    }

    pub async fn bestsellers(&self, limit: Option<u32>) -> Result<Vec<Bestseller>> {
        let q: Vec<(&str, u32)> = limit.map(|l| ("limit", l)).into_iter().collect();
        self.get_query(paths::BESTSELLERS, &q).await
    }

    // ---- accounts

    pub async fn register(&self, req: &RegisterRequest) -> Result<AuthResponse> {
        self.post(paths::REGISTER, req).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<AuthResponse> {
        let body = LoginRequest {
            email: email.into(),
            password: password.into(),
        };
        self.post(paths::LOGIN, &body).await
    }

    pub async fn me(&self) -> Result<User> {
        self.get(paths::ME).await
    }

    /// Asks for a password-reset link by mail; the status is 202 whether or not the e-mail
    /// has an account.
    pub async fn request_password_reset(&self, email: &Email) -> Result<WithStatus<LinkSent>> {
        let body = PasswordResetRequest {
            email: email.clone(),
        };
        Self::send(
            self.request(Method::POST, paths::PASSWORD_RESET)
                .json(&body),
        )
        .await
    }

    /// Sets a new password with a reset link's token.
    pub async fn reset_password(&self, token: &str, new_password: &Password) -> Result<()> {
        let body = PasswordResetConfirm {
            token: token.into(),
            new_password: new_password.clone(),
        };
        self.no_content_with(Method::POST, paths::PASSWORD_RESET_CONFIRM, &body)
            .await
    }

    /// Changes the password; the answer's token replaces this client's (the others end).
    pub async fn change_password(&self, req: &ChangePassword) -> Result<AuthResponse> {
        self.post(paths::MY_PASSWORD, req).await
    }

    pub async fn update_me(&self, req: &UpdateProfile) -> Result<User> {
        let r = self.request(Method::PUT, paths::ME).json(req);
        Ok(Self::send(r).await?.value)
    }

    /// Asks to move the account to another e-mail (a link is mailed there); the status is 202.
    pub async fn change_email(&self, req: &ChangeEmail) -> Result<WithStatus<LinkSent>> {
        Self::send(self.request(Method::POST, paths::MY_EMAIL).json(req)).await
    }

    /// Confirms a new e-mail with the mailed link's token.
    pub async fn confirm_email(&self, token: &str) -> Result<()> {
        let body = ConfirmEmail {
            token: token.into(),
        };
        self.no_content_with(Method::POST, paths::MY_EMAIL_CONFIRM, &body)
            .await
    }

    pub async fn export_me(&self) -> Result<AccountExport> {
        self.get(paths::MY_EXPORT).await
    }

    /// Deletes the caller's account.
    pub async fn delete_me(&self, current_password: &str) -> Result<()> {
        let body = DeleteAccount {
            current_password: current_password.into(),
        };
        self.no_content_with(Method::DELETE, paths::ME, &body).await
    }

    /// A request answered with 204 and no body on success.
    async fn no_content_with<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<()> {
        let res = self.request(method, path).json(body).send().await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    // ---- address book

    pub async fn my_addresses(&self) -> Result<Vec<Address>> {
        self.get(paths::MY_ADDRESSES).await
    }

    /// Adds an address; the status is 201.
    pub async fn create_address(&self, req: &AddressInput) -> Result<WithStatus<Address>> {
        Self::send(self.request(Method::POST, paths::MY_ADDRESSES).json(req)).await
    }

    pub async fn replace_address(&self, id: AddressId, req: &AddressInput) -> Result<Address> {
        let r = self.request(Method::PUT, &paths::my_address(id)).json(req);
        Ok(Self::send(r).await?.value)
    }

    pub async fn delete_address(&self, id: AddressId) -> Result<()> {
        let res = self
            .request(Method::DELETE, &paths::my_address(id))
            .send()
            .await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    // ---- cart

    /// The account's cart, each line checked against the catalogue now.
    pub async fn my_cart(&self) -> Result<Cart> {
        self.get(paths::MY_CART).await
    }

    /// Replaces the account's whole cart; answers it as saved.
    pub async fn replace_my_cart(&self, req: &CartInput) -> Result<Cart> {
        let r = self.request(Method::PUT, paths::MY_CART).json(req);
        Ok(Self::send(r).await?.value)
    }

    // ---- shipping

    /// The shipping options (those serving `q.country`, if given) and the shop's currency.
    pub async fn shipping_options(&self, q: &ShippingQuery) -> Result<ShippingOptions> {
        self.get_query(paths::SHIPPING_OPTIONS, q).await
    }

    // ---- orders

    /// Places an order; the status is 201 when placed now, 200 for a replayed retry.
    pub async fn place_order(
        &self,
        req: &PlaceOrder,
        idempotency_key: Option<&str>,
    ) -> Result<WithStatus<Order>> {
        let mut r = self.request(Method::POST, paths::ORDERS).json(req);
        if let Some(k) = idempotency_key {
            r = r.header("Idempotency-Key", k);
        }
        Self::send(r).await
    }

    /// What the order would come to if placed now (nothing is reserved).
    pub async fn quote_order(&self, req: &QuoteRequest) -> Result<OrderQuote> {
        let r = self.request(Method::POST, paths::ORDER_QUOTE).json(req);
        Ok(Self::send(r).await?.value)
    }

    pub async fn list_orders(&self, q: &PageQuery) -> Result<Page<Order>> {
        self.get_query(paths::ORDERS, q).await
    }

    pub async fn get_order(&self, id: OrderId) -> Result<Order> {
        self.get(&paths::order(id)).await
    }

    pub async fn cancel_order(&self, id: OrderId) -> Result<Order> {
        Ok(
            Self::send(self.request(Method::POST, &paths::order_cancel(id)))
                .await?
                .value,
        )
    }

    /// Asks the shop to settle a `pending_payment` order (after 3-D Secure, or a 503).
    pub async fn complete_payment(&self, id: OrderId) -> Result<Order> {
        Ok(
            Self::send(self.request(Method::POST, &paths::order_payment(id)))
                .await?
                .value,
        )
    }

    pub async fn payment_config(&self) -> Result<PaymentConfig> {
        self.get(paths::PAYMENT_CONFIG).await
    }

    pub async fn create_return(&self, order: OrderId, req: &CreateReturn) -> Result<ReturnReceipt> {
        Ok(self.create_return_with_key(order, req, None).await?.value)
    }

    /// A return with an `Idempotency-Key`: a retry with the same key and body gets the return
    /// made earlier (status 200) instead of a second one.
    pub async fn create_return_with_key(
        &self,
        order: OrderId,
        req: &CreateReturn,
        idempotency_key: Option<&str>,
    ) -> Result<WithStatus<ReturnReceipt>> {
        let mut r = self
            .request(Method::POST, &paths::order_returns(order))
            .json(req);
        if let Some(k) = idempotency_key {
            r = r.header("Idempotency-Key", k);
        }
        Self::send(r).await
    }

    pub async fn list_returns(&self, order: OrderId) -> Result<Vec<Return>> {
        self.get(&paths::order_returns(order)).await
    }

    // ---- admin

    // ---- genres (staff read, the owner manages)

    pub async fn admin_genres(&self) -> Result<Vec<GenreCount>> {
        self.get(paths::ADMIN_GENRES).await
    }

    pub async fn admin_add_genre(&self, genre: &Genre) -> Result<GenreCount> {
        let body = NewGenre {
            genre: genre.clone(),
        };
        self.post(paths::ADMIN_GENRES, &body).await
    }

    pub async fn admin_remove_genre(&self, genre: &Genre) -> Result<()> {
        let res = self
            .request(Method::DELETE, &paths::admin_genre(genre))
            .send()
            .await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    pub async fn admin_create_book(&self, book: &NewBook) -> Result<Book> {
        self.post(paths::ADMIN_BOOKS, book).await
    }

    pub async fn admin_update_book(
        &self,
        id: BookId,
        version: i64,
        details: &BookDetails,
    ) -> Result<Book> {
        let r = self
            .request(Method::PUT, &paths::admin_book(id))
            .header("If-Match", format!("\"{version}\""))
            .json(details);
        Ok(Self::send(r).await?.value)
    }

    pub async fn admin_delete_book(&self, id: BookId, version: Option<i64>) -> Result<()> {
        let mut r = self.request(Method::DELETE, &paths::admin_book(id));
        if let Some(v) = version {
            r = r.header("If-Match", format!("\"{v}\""));
        }
        let res = r.send().await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    pub async fn admin_adjust_stock(&self, id: BookId, adj: &StockAdjustment) -> Result<Book> {
        self.post(&paths::admin_book_stock(id), adj).await
    }

    /// The inventory, sorted and filtered.
    pub async fn admin_inventory(&self, q: &InventoryQuery) -> Result<InventoryPage> {
        self.get_query(paths::ADMIN_INVENTORY, q).await
    }

    /// A book's stock, units sold and low-stock threshold.
    pub async fn admin_book_inventory(&self, id: BookId) -> Result<InventoryItem> {
        self.get(&paths::admin_book_threshold(id)).await
    }

    /// Sets a book's low-stock threshold (`None`: the shop's default).
    pub async fn admin_set_low_stock_threshold(
        &self,
        id: BookId,
        threshold: Option<u32>,
    ) -> Result<InventoryItem> {
        let body = LowStockThreshold {
            low_stock_threshold: threshold,
        };
        let r = self
            .request(Method::PUT, &paths::admin_book_threshold(id))
            .json(&body);
        Ok(Self::send(r).await?.value)
    }

    /// Checks a books CSV (a dry run): the report lists every problem; nothing is written.
    pub async fn admin_check_import(&self, csv: Vec<u8>) -> Result<ImportReport> {
        let r = self
            .request(Method::POST, paths::ADMIN_IMPORT_BOOKS)
            .query(&ImportQuery { dry_run: true })
            .header("Content-Type", "text/csv")
            .body(csv);
        Ok(Self::send(r).await?.value)
    }

    /// Starts importing a books CSV: the import as accepted (202), applied in the background
    /// (see [`admin_wait_import`](Self::admin_wait_import)). A file with problems is refused
    /// with 422 `import_invalid`, its report in the problem's `import`.
    pub async fn admin_start_import(&self, csv: Vec<u8>) -> Result<BookImport> {
        let r = self
            .request(Method::POST, paths::ADMIN_IMPORT_BOOKS)
            .query(&ImportQuery { dry_run: false })
            .header("Content-Type", "text/csv")
            .body(csv);
        Ok(Self::send(r).await?.value)
    }

    /// An import and its progress.
    pub async fn admin_import(&self, id: ImportId) -> Result<BookImport> {
        self.get(&paths::admin_import(id)).await
    }

    /// Recent imports, newest first.
    pub async fn admin_list_imports(&self, q: &PageQuery) -> Result<Page<BookImport>> {
        self.get_query(paths::ADMIN_IMPORTS, q).await
    }

    /// Polls an import until it is no longer staging or running, awaiting `pause()` between
    /// reads (the caller's timer: `tokio::time::sleep`, a browser timeout).
    pub async fn admin_wait_import<F, P>(&self, id: ImportId, mut pause: P) -> Result<BookImport>
    where
        P: FnMut() -> F,
        F: std::future::Future<Output = ()>,
    {
        loop {
            let import = self.admin_import(id).await?;
            if !matches!(import.status, ImportStatus::Staging | ImportStatus::Running) {
                return Ok(import);
            }
            pause().await;
        }
    }

    /// [`admin_start_import`](Self::admin_start_import) and
    /// [`admin_wait_import`](Self::admin_wait_import): the import once it has finished.
    pub async fn admin_import_and_wait<F, P>(&self, csv: Vec<u8>, pause: P) -> Result<BookImport>
    where
        P: FnMut() -> F,
        F: std::future::Future<Output = ()>,
    {
        let started = self.admin_start_import(csv).await?;
        self.admin_wait_import(started.id, pause).await
    }

    /// The catalogue as CSV (`GET /api/v1/admin/exports/books`), read whole.
    pub async fn admin_export_books(&self) -> Result<Vec<u8>> {
        Self::download(self.request(Method::GET, paths::ADMIN_EXPORT_BOOKS)).await
    }

    /// Orders as CSV (`GET /api/v1/admin/exports/orders`), read whole.
    pub async fn admin_export_orders(&self, q: &OrderExportQuery) -> Result<Vec<u8>> {
        Self::download(
            self.request(Method::GET, paths::ADMIN_EXPORT_ORDERS)
                .query(q),
        )
        .await
    }

    /// A non-JSON download's bytes, or the problem.
    async fn download(req: RequestBuilder) -> Result<Vec<u8>> {
        let res = req.send().await?;
        let status = res.status();
        if !status.is_success() {
            let body = res.text().await.unwrap_or_default();
            return Err(match serde_json::from_str::<Problem>(&body) {
                Ok(p) => ClientError::Api(Box::new(p)),
                Err(_) => ClientError::Unexpected {
                    status: status.as_u16(),
                    body,
                },
            });
        }
        Ok(res.bytes().await?.to_vec())
    }

    pub async fn admin_list_orders(&self, q: &OrderQuery) -> Result<Page<Order>> {
        self.get_query(paths::ADMIN_ORDERS, q).await
    }

    /// `GET /api/v1/admin/stats/sales`: the owner's sales figures over a range.
    pub async fn admin_sales_stats(&self, q: &SalesQuery) -> Result<SalesStats> {
        self.get_query(paths::ADMIN_STATS_SALES, q).await
    }

    /// `GET /api/v1/admin/stats/operations`: every instance's figures over a range.
    pub async fn admin_operations_stats(&self, q: &OperationsQuery) -> Result<OperationsStats> {
        self.get_query(paths::ADMIN_STATS_OPERATIONS, q).await
    }

    pub async fn admin_get_order(&self, id: OrderId) -> Result<Order> {
        self.get(&paths::admin_order(id)).await
    }

    pub async fn admin_ship_order(&self, id: OrderId, req: &ShipOrder) -> Result<Order> {
        self.post(&paths::admin_order_action(id, "ship"), req).await
    }

    pub async fn admin_deliver_order(&self, id: OrderId) -> Result<Order> {
        let r = self.request(Method::POST, &paths::admin_order_action(id, "deliver"));
        Ok(Self::send(r).await?.value)
    }

    pub async fn admin_cancel_order(&self, id: OrderId) -> Result<Order> {
        let r = self.request(Method::POST, &paths::admin_order_action(id, "cancel"));
        Ok(Self::send(r).await?.value)
    }

    pub async fn admin_order_returns(&self, id: OrderId) -> Result<Vec<Return>> {
        self.get(&paths::admin_order_returns(id)).await
    }

    pub async fn admin_receive_return(&self, id: OrderId, ret: ReturnId) -> Result<ReturnReceipt> {
        let r = self.request(Method::POST, &paths::admin_receive_return(id, ret));
        Ok(Self::send(r).await?.value)
    }

    pub async fn admin_audit(&self, q: &PageQuery) -> Result<Page<AuditEntry>> {
        self.get_query(paths::ADMIN_AUDIT, q).await
    }

    // ---- webhooks

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        self.get(paths::ADMIN_WEBHOOKS).await
    }

    pub async fn create_webhook(&self, req: &WebhookRequest) -> Result<WebhookCreated> {
        self.post(paths::ADMIN_WEBHOOKS, req).await
    }

    pub async fn get_webhook(&self, id: WebhookId) -> Result<Webhook> {
        self.get(&paths::admin_webhook(id)).await
    }

    pub async fn update_webhook(&self, id: WebhookId, req: &WebhookRequest) -> Result<Webhook> {
        let r = self
            .request(Method::PUT, &paths::admin_webhook(id))
            .json(req);
        Ok(Self::send(r).await?.value)
    }

    pub async fn delete_webhook(&self, id: WebhookId) -> Result<()> {
        let res = self
            .request(Method::DELETE, &paths::admin_webhook(id))
            .send()
            .await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    pub async fn rotate_webhook_secret(&self, id: WebhookId) -> Result<WebhookSecret> {
        let r = self.request(Method::POST, &paths::admin_webhook_secret(id));
        Ok(Self::send(r).await?.value)
    }

    pub async fn webhook_deliveries(
        &self,
        id: WebhookId,
        q: &DeliveryQuery,
    ) -> Result<Page<Delivery>> {
        self.get_query(&paths::admin_webhook_deliveries(id), q)
            .await
    }

    pub async fn retry_webhook_delivery(&self, id: WebhookId, event: EventId) -> Result<Delivery> {
        let r = self.request(Method::POST, &paths::admin_webhook_retry(id, event));
        Ok(Self::send(r).await?.value)
    }

    // ---- API keys (an owner's login; a client made with `authed(key)` acts with a key)

    pub async fn list_api_keys(&self, q: &PageQuery) -> Result<Page<ApiKey>> {
        self.get_query(paths::ADMIN_API_KEYS, q).await
    }

    /// The answer holds the key, shown only this once.
    pub async fn create_api_key(&self, req: &NewApiKey) -> Result<ApiKeyCreated> {
        self.post(paths::ADMIN_API_KEYS, req).await
    }

    pub async fn get_api_key(&self, id: ApiKeyId) -> Result<ApiKey> {
        self.get(&paths::admin_api_key(id)).await
    }

    pub async fn revoke_api_key(&self, id: ApiKeyId) -> Result<()> {
        let res = self
            .request(Method::DELETE, &paths::admin_api_key(id))
            .send()
            .await?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Self::decode::<serde_json::Value>(res).await.map(|_| ())
    }

    // ---- staff (an owner's login)

    pub async fn list_staff(&self) -> Result<Vec<StaffMember>> {
        self.get(paths::ADMIN_STAFF).await
    }

    /// The answer holds the invitation's token, shown only this once.
    pub async fn invite_staff(&self, req: &NewStaffInvitation) -> Result<StaffInvitation> {
        self.post(paths::ADMIN_STAFF_INVITATIONS, req).await
    }

    pub async fn change_staff_role(&self, id: UserId, role: Role) -> Result<StaffMember> {
        let r = self
            .request(Method::PUT, &paths::admin_staff_role(id))
            .json(&RoleChange { role });
        Ok(Self::send(r).await?.value)
    }

    pub async fn remove_staff(&self, id: UserId) -> Result<()> {
        self.no_content(Method::DELETE, &paths::admin_staff_member(id))
            .await
    }

    /// Accepts an invitation: with a name and password, as a new account; without, as the
    /// account this client is logged in as. The answer logs in with the new role.
    pub async fn accept_staff_invitation(
        &self,
        req: &AcceptStaffInvitation,
    ) -> Result<AuthResponse> {
        self.post(paths::STAFF_INVITATION_ACCEPT, req).await
    }
}
