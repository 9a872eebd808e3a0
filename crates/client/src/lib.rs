//! A typed client of the bookstore API, one method per endpoint, sharing the server's model
//! types so the two cannot disagree on shapes. Compiles for `wasm32-unknown-unknown` (reqwest
//! uses `fetch` there).
use bookstore_model::*;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod admin;

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
}
