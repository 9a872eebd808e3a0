//! One emulated shopper: its session, cart and interactions, and the loop that paces them.
use super::*;

#[derive(Default)]
pub(super) struct Ledger {
    pub(super) sold: HashMap<BookId, i64>,
    pub(super) returned: HashMap<BookId, i64>,
    /// Units of placements whose outcome is unknown, per book: counted before the request is
    /// sent and taken back once it is answered, so one cut short by the interaction's timeout
    /// or the run's end stays counted (its reservation may hold copies until it expires).
    pub(super) ambiguous: HashMap<BookId, i64>,
    pub(super) ambiguous_orders: u64,
    /// Units of return receipts whose outcome is unknown, per book (the same way).
    pub(super) returns_unsure: HashMap<BookId, i64>,
    /// Acknowledged orders, with the token that may read them and the units per book.
    pub(super) orders: Vec<(OrderId, Arc<str>, u32)>,
}

pub(super) struct Shared {
    pub(super) cfg: RunConfig,
    pub(super) http: reqwest::Client,
    pub(super) admin: Client,
    pub(super) books: Popularity<BookId>,
    pub(super) start: Instant,
    pub(super) deadline: Instant,
    pub(super) stats: Mutex<Stats>,
    pub(super) ledger: Mutex<Ledger>,
    pub(super) completed: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) registered: AtomicUsize,
    pub(super) run_id: String,
}

/// Units counted unsure in the ledger while a request is out; `settle` takes them back once
/// its outcome is known. Dropped unsettled (timed out, cut short), they stay counted.
#[must_use]
struct Unsure {
    books: Vec<(BookId, i64)>,
    order: bool,
}

impl Unsure {
    fn order(shared: &Shared, cart: &[(BookId, u32)]) -> Self {
        let books: Vec<(BookId, i64)> = cart.iter().map(|(b, q)| (*b, i64::from(*q))).collect();
        let mut ledger = lock(&shared.ledger);
        ledger.ambiguous_orders += 1;
        for (b, q) in &books {
            *ledger.ambiguous.entry(*b).or_default() += q;
        }
        Self { books, order: true }
    }

    fn receipt(shared: &Shared, book: BookId) -> Self {
        *lock(&shared.ledger).returns_unsure.entry(book).or_default() += 1;
        Self {
            books: vec![(book, 1)],
            order: false,
        }
    }

    fn settle(self, ledger: &mut Ledger) {
        let counts = if self.order {
            ledger.ambiguous_orders -= 1;
            &mut ledger.ambiguous
        } else {
            &mut ledger.returns_unsure
        };
        for (b, q) in &self.books {
            *counts.entry(*b).or_default() -= q;
        }
    }
}

/// An order a shopper placed during the run: what can still be returned.
pub(super) struct Placed {
    pub(super) id: OrderId,
    pub(super) returnable: Vec<(BookId, u32)>,
}

pub(super) struct Shopper {
    pub(super) shared: Arc<Shared>,
    pub(super) rng: Rng,
    pub(super) client: Client,
    pub(super) email: String,
    pub(super) password: String,
    pub(super) cart: Vec<(BookId, u32)>,
    pub(super) placed: Vec<Placed>,
    pub(super) admin_seen: Option<Book>,
    /// Interactions left in this user session; at 0 the next one signs in.
    pub(super) session_left: u64,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn error_outcome(e: &ClientError) -> Outcome {
    Outcome::Error(e.status().unwrap_or(0))
}

/// What an interaction did, and why: the problem code of an expected refusal, the error of a
/// failure.
type Step = (Kind, Outcome, Cow<'static, str>);

/// A failed interaction, with the error and its causes (a transport error's own message is
/// only "error sending request").
pub(super) fn failed(kind: Kind, e: &ClientError) -> Step {
    let mut why = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        why.push_str(": ");
        why.push_str(&cause.to_string());
        source = cause.source();
    }
    (kind, error_outcome(e), why.into())
}

impl Shopper {
    pub(super) fn session_length(&mut self) -> u64 {
        let mean = self.shared.cfg.session_mean as f64;
        1 + self.rng.exp(mean).min(mean * 4.0) as u64
    }

    fn book(&mut self) -> BookId {
        *self.shared.books.choose(&mut self.rng)
    }

    async fn perform(&mut self, kind: Kind) -> Step {
        let ok = |r: Result<(), ClientError>| match r {
            Ok(()) => (kind, Outcome::Ok, "".into()),
            Err(e) => failed(kind, &e),
        };
        let c = self.client.clone();
        match kind {
            // Both at once, as the SPA's home page (two resources) and a browser fetch them.
            Kind::Home => ok(async {
                let newest = BookQuery {
                    sort: Some(BookSort::Newest),
                    limit: Some(10),
                    ..Default::default()
                };
                futures::try_join!(c.bestsellers(Some(5)), c.list_books(&newest))?;
                Ok(())
            }
            .await),
            Kind::NewProducts => {
                let genre = self.rng.pick(GENRES).to_owned();
                ok(c.list_books(&BookQuery {
                    genre: Some(genre),
                    sort: Some(BookSort::Newest),
                    limit: Some(20),
                    ..Default::default()
                })
                .await
                .map(drop))
            }
            Kind::BestSellers => ok(c.bestsellers(Some(20)).await.map(drop)),
            Kind::ProductDetail => {
                let id = self.book();
                ok(c.get_book(id).await.map(drop))
            }
            Kind::SearchRequest => ok(c.genres().await.map(drop)),
            Kind::SearchResults => {
                let mut q = self.rng.pick(TITLE_WORDS).to_owned();
                if self.rng.below(4) == 0 {
                    q.push(' ');
                    q.push_str(self.rng.pick(TITLE_WORDS));
                }
                ok(c.list_books(&BookQuery {
                    q: Some(q),
                    limit: Some(20),
                    ..Default::default()
                })
                .await
                .map(drop))
            }
            Kind::ShoppingCart => {
                let id = self.book();
                let r = c.get_book(id).await.map(drop);
                if r.is_ok() {
                    self.add_to_cart(id);
                }
                ok(r)
            }
            Kind::Register => self.register().await,
            Kind::Login => match c.login(&self.email, &self.password).await {
                Ok(auth) => {
                    self.client = self.client.authed(auth.token);
                    (kind, Outcome::Ok, "".into())
                }
                Err(e) => failed(kind, &e),
            },
            Kind::BuyRequest | Kind::SignedIn => ok(c.me().await.map(drop)),
            Kind::BuyConfirm => self.buy().await,
            Kind::OrderInquiry => ok(c
                .list_orders(&PageQuery {
                    limit: Some(10),
                    cursor: None,
                })
                .await
                .map(drop)),
            Kind::OrderDisplay => match self.placed.last() {
                Some(p) => ok(c.get_order(p.id).await.map(drop)),
                None => {
                    let r = async {
                        let page = c
                            .list_orders(&PageQuery {
                                limit: Some(1),
                                cursor: None,
                            })
                            .await?;
                        if let Some(o) = page.items.first() {
                            c.get_order(o.id).await?;
                        }
                        Ok(())
                    }
                    .await;
                    ok(r)
                }
            },
            Kind::AdminRequest => {
                let id = self.book();
                match self.shared.admin.get_book(id).await {
                    Ok(b) => {
                        self.admin_seen = Some(b);
                        (kind, Outcome::Ok, "".into())
                    }
                    Err(e) => failed(kind, &e),
                }
            }
            Kind::AdminConfirm => self.admin_confirm().await,
            Kind::Return => self.return_one().await,
        }
    }

    fn add_to_cart(&mut self, id: BookId) {
        let qty = self.rng.between(1, 2) as u32;
        if let Some(line) = self.cart.iter_mut().find(|(b, _)| *b == id) {
            line.1 = (line.1 + qty).min(5);
        } else if self.cart.len() < self.shared.cfg.max_cart_lines.max(1) {
            self.cart.push((id, qty));
        } else {
            let i = self.rng.below(self.cart.len() as u64) as usize;
            self.cart[i] = (id, qty);
        }
    }

    async fn register(&mut self) -> Step {
        let n = self.shared.registered.fetch_add(1, Ordering::Relaxed);
        let email = format!("new-{}-{n}@loadgen.example", self.shared.run_id);
        let password = format!("loadgen-new-password-{n}");
        let req = match (|| -> Result<RegisterRequest, bookstore_model::ValidationError> {
            Ok(RegisterRequest {
                email: Email::parse(&email)?,
                password: Password::parse(&password)?,
                name: PersonName::parse(&format!("New Shopper {n}"))?,
            })
        })() {
            Ok(r) => r,
            Err(_) => {
                return (
                    Kind::Register,
                    Outcome::Error(0),
                    "invalid generated account".into(),
                );
            }
        };
        match self.client.register(&req).await {
            Ok(auth) => {
                // From now on this shopper is the new customer.
                self.client = self.client.authed(auth.token);
                self.email = email;
                self.password = password;
                self.placed.clear();
                (Kind::Register, Outcome::Ok, "".into())
            }
            Err(e) => failed(Kind::Register, &e),
        }
    }

    async fn buy(&mut self) -> Step {
        if self.cart.is_empty() {
            let id = self.book();
            self.add_to_cart(id);
        }
        let lines: Vec<LineRequest> = self
            .cart
            .iter()
            .filter_map(|(b, q)| {
                Some(LineRequest {
                    book_id: *b,
                    quantity: Quantity::parse(i64::from(*q)).ok()?,
                })
            })
            .collect();
        let cart = std::mem::take(&mut self.cart);
        let req = crate::checkout(lines, self.rng.below(1_000_000) as usize);
        let unsure = Unsure::order(&self.shared, &cart);
        let key = uuid::Uuid::new_v4().to_string();
        // A transport failure leaves the outcome unknown: retry with the same key, which
        // either places the order or answers with the one placed before.
        let mut last = None;
        for attempt in 0..4 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            match self.client.place_order(&req, Some(&key)).await {
                Ok(placed) => {
                    let order = placed.value;
                    let token: Arc<str> = self.client.token().unwrap_or_default().into();
                    let mut ledger = lock(&self.shared.ledger);
                    unsure.settle(&mut ledger);
                    let mut units = 0;
                    for l in &order.lines {
                        *ledger.sold.entry(l.book_id).or_default() += i64::from(l.quantity);
                        units += l.quantity;
                    }
                    ledger.orders.push((order.id, token, units));
                    drop(ledger);
                    self.placed.push(Placed {
                        id: order.id,
                        returnable: order
                            .lines
                            .iter()
                            .map(|l| (l.book_id, l.quantity))
                            .collect(),
                    });
                    if self.placed.len() > 20 {
                        self.placed.remove(0);
                    }
                    return (Kind::BuyConfirm, Outcome::Ok, "".into());
                }
                Err(e) if e.code() == Some(ProblemCode::InsufficientStock) => {
                    unsure.settle(&mut lock(&self.shared.ledger));
                    return (
                        Kind::BuyConfirm,
                        Outcome::Expected,
                        "insufficient_stock".into(),
                    );
                }
                Err(e @ ClientError::Transport(_)) => last = Some(e),
                Err(e) if e.status().is_some_and(|s| s >= 500) => last = Some(e),
                Err(e) => {
                    unsure.settle(&mut lock(&self.shared.ledger));
                    return failed(Kind::BuyConfirm, &e);
                }
            }
        }
        // Still unknown after the retries: it stays counted as ambiguous.
        drop(unsure);
        match &last {
            Some(e) => failed(Kind::BuyConfirm, e),
            None => (Kind::BuyConfirm, Outcome::Error(0), "no attempt".into()),
        }
    }

    async fn admin_confirm(&mut self) -> Step {
        let kind = Kind::AdminConfirm;
        let admin = self.shared.admin.clone();
        let book = match self.admin_seen.take() {
            Some(b) => b,
            None => match admin.get_book(self.book()).await {
                Ok(b) => b,
                Err(e) => return failed(kind, &e),
            },
        };
        let delta = if self.rng.below(2) == 0 { -1 } else { 1 };
        let price = PriceCents::parse((book.price_cents.get() + delta).clamp(1, 99_999))
            .unwrap_or(book.price_cents);
        let details = BookDetails {
            isbn: book.isbn,
            title: book.title,
            authors: book.authors,
            genre: book.genre,
            description: book.description,
            price_cents: price,
            published_year: book.published_year,
        };
        match admin
            .admin_update_book(book.id, book.version, &details)
            .await
        {
            Ok(_) => (kind, Outcome::Ok, "".into()),
            Err(e) if e.code() == Some(ProblemCode::PreconditionFailed) => {
                (kind, Outcome::Expected, "precondition_failed".into())
            }
            Err(e) => failed(kind, &e),
        }
    }

    async fn return_one(&mut self) -> Step {
        let kind = Kind::Return;
        let Some(pi) = self
            .placed
            .iter()
            .rposition(|p| p.returnable.iter().any(|(_, q)| *q > 0))
        else {
            // Nothing to return yet: the shopper looks at its orders instead.
            return match self
                .client
                .list_orders(&PageQuery {
                    limit: Some(10),
                    cursor: None,
                })
                .await
            {
                Ok(_) => (Kind::OrderInquiry, Outcome::Ok, "".into()),
                Err(e) => failed(Kind::OrderInquiry, &e),
            };
        };
        let order = self.placed[pi].id;
        let Some(li) = self.placed[pi].returnable.iter().position(|(_, q)| *q > 0) else {
            return (kind, Outcome::Error(0), "no returnable line".into());
        };
        let book = self.placed[pi].returnable[li].0;
        let (Ok(quantity), Ok(reason)) = (Quantity::parse(1), ReturnReason::parse("load test"))
        else {
            return (kind, Outcome::Error(0), "invalid generated return".into());
        };
        let req = CreateReturn {
            lines: vec![LineRequest {
                book_id: book,
                quantity,
            }],
            reason,
        };
        // Copies come back from a delivered order: the shop ships and delivers it first (once;
        // a second time is refused as `invalid_transition`), the customer asks, the shop
        // receives the copies (stock back, refund through the payment provider).
        let admin = self.shared.admin.clone();
        let ship = ShipOrder {
            carrier: "Loadgen Post".into(),
            tracking_number: format!("LG {}", self.rng.below(1_000_000_000)),
        };
        for step in [
            admin.admin_ship_order(order, &ship).await,
            admin.admin_deliver_order(order).await,
        ] {
            match step {
                Ok(_) => {}
                Err(e) if e.code() == Some(ProblemCode::InvalidTransition) => {}
                Err(e) => return failed(kind, &e),
            }
        }
        let asked = match self.client.create_return(order, &req).await {
            Ok(r) => r,
            Err(e) if e.code() == Some(ProblemCode::ReturnExceedsPurchase) => {
                self.placed[pi].returnable[li].1 = 0;
                return (kind, Outcome::Expected, "return_exceeds_purchase".into());
            }
            Err(e) => return failed(kind, &e),
        };
        let unsure = Unsure::receipt(&self.shared, book);
        let received = admin.admin_receive_return(order, asked.return_.id).await;
        let mut ledger = lock(&self.shared.ledger);
        match received {
            Ok(_) => {
                unsure.settle(&mut ledger);
                self.placed[pi].returnable[li].1 -= 1;
                *ledger.returned.entry(book).or_default() += 1;
                (kind, Outcome::Ok, "".into())
            }
            Err(e) if e.code() == Some(ProblemCode::ReturnExceedsPurchase) => {
                unsure.settle(&mut ledger);
                self.placed[pi].returnable[li].1 = 0;
                (kind, Outcome::Expected, "return_exceeds_purchase".into())
            }
            // A 5xx or a lost answer may have put the copy back: it stays unsure.
            Err(e) if e.status().is_some_and(|s| s >= 500) || e.status().is_none() => {
                failed(kind, &e)
            }
            Err(e) => {
                unsure.settle(&mut ledger);
                failed(kind, &e)
            }
        }
    }
}

pub(super) fn pick_kind(rng: &mut Rng, table: &[(Kind, f64)], total: f64) -> Kind {
    let mut x = rng.f64() * total;
    for (k, w) in table {
        if x < *w {
            return *k;
        }
        x -= w;
    }
    table.last().map_or(Kind::Home, |(k, _)| *k)
}

pub(super) async fn shopper_loop(mut s: Shopper) {
    let table = weights(s.shared.cfg.mix);
    let total: f64 = table.iter().map(|(_, w)| w).sum();
    let think = s.shared.cfg.think_mean.as_secs_f64();
    loop {
        if Instant::now() >= s.shared.deadline {
            break;
        }
        let sessions = s.shared.cfg.session_mean > 0;
        let kind = match pick_kind(&mut s.rng, &table, total) {
            _ if sessions && s.session_left == 0 => {
                if s.rng.below(5) == 0 {
                    Kind::Register
                } else {
                    Kind::Login
                }
            }
            Kind::Register | Kind::Login if sessions => Kind::SignedIn,
            k => k,
        };
        let t0 = Instant::now();
        let (done, outcome, why) =
            match tokio::time::timeout(Duration::from_secs(30), s.perform(kind)).await {
                Ok(step) => step,
                Err(_) => (kind, Outcome::Error(0), "timeout".into()),
            };
        let end = Instant::now();
        let took = end - t0;
        let second = (end - s.shared.start).as_secs();
        lock(&s.shared.stats).record(second, done.name(), outcome, took, &why);
        if sessions {
            s.session_left = match (kind, outcome) {
                (Kind::Register | Kind::Login, Outcome::Error(_)) => 0,
                (Kind::Register | Kind::Login, _) => s.session_length(),
                _ => s.session_left.saturating_sub(1),
            };
        }
        match outcome {
            Outcome::Error(_) => s.shared.failed.fetch_add(1, Ordering::Relaxed),
            _ => s.shared.completed.fetch_add(1, Ordering::Relaxed),
        };
        if think > 0.0 {
            let pause = Duration::from_secs_f64(s.rng.exp(think).min(think * 10.0));
            let until = (Instant::now() + pause).min(s.shared.deadline);
            tokio::time::sleep_until(until.into()).await;
        }
    }
}
