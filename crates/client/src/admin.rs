//! The back office's endpoints (staff and owner: catalogue, stock, imports and exports, orders,
//! statistics, audit, webhooks, API keys, staff) and accepting a staff invitation.
use super::*;

impl Client {
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
