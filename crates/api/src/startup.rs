//! Builds the application from [`Settings`]: opens the store, bootstraps the admin and the demo
//! catalogue, and binds the HTTP server (port 0 in tests).
use crate::error::ApiError;
use crate::limits::Limiters;
use crate::metrics::{InstrumentedStore, Metrics};
use crate::middleware;
use crate::ops::OpsRecorder;
use crate::settings::{Settings, StoreKind};
use crate::spa::StaticFiles;
use crate::state::AppState;
use crate::store::Store;
use crate::store::dynamo::DynamoSettings;
use crate::store::embedded::EmbeddedStore;
use crate::{openapi, routes, seed};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::from_fn;
use actix_web::middleware::{Compress, Condition, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use bookstore_domain::cursor::CursorCodec;
use bookstore_domain::hashing::{
    DEFAULT_WAITING_PER_THREAD, HashPool, PasswordKdf, default_threads,
};
use bookstore_domain::live::{Live, POLL_INTERVAL};
use bookstore_domain::mail::Mailer;
use bookstore_domain::outbox::Wakeup;
use bookstore_domain::outbox::dispatch::Dispatcher;
use bookstore_domain::tokens::Tokens;
use bookstore_domain::{
    Addresses, ApiKeys, Audit, Carts, Catalogue, Operations, Orders, Payments, Sales, Users,
    Webhooks,
};
use bookstore_model::{Email, PersonName, ProblemCode, Role};
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use utoipa_swagger_ui::SwaggerUi;

pub struct Application {
    port: u16,
    server: Server,
    /// `GET /metrics` on a listener of its own (`metrics_listen`), if configured.
    metrics: Option<(u16, Server)>,
    /// The outbox's dispatcher (webhook deliveries), stopped with the server.
    dispatcher: tokio::task::JoinHandle<()>,
    /// This instance's operations figures: the flushing task, and what it needs for the last
    /// flush at shutdown.
    ops_flusher: tokio::task::JoinHandle<()>,
    ops: (Arc<OpsRecorder>, Arc<Operations>, String),
}

/// Opens the store the settings name.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    match settings.store {
        StoreKind::Embedded => {
            let store = EmbeddedStore::open_with(&settings.data_dir, settings.embedded.config())
                .with_context(|| {
                    format!(
                        "opening the embedded store in {}",
                        settings.data_dir.display()
                    )
                })?;
            Ok(Arc::new(store))
        }
        StoreKind::Dynamodb => connect_dynamo(settings).await,
    }
}

/// The DynamoDB back end as the settings configure it.
#[cfg(feature = "dynamodb")]
pub async fn dynamo_store(
    settings: &Settings,
) -> anyhow::Result<crate::store::dynamo::DynamoStore> {
    Ok(crate::store::dynamo::DynamoStore::connect(dynamo_settings(settings)?).await)
}

#[cfg(feature = "dynamodb")]
async fn connect_dynamo(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    Ok(Arc::new(dynamo_store(settings).await?))
}

#[cfg(not(feature = "dynamodb"))]
async fn connect_dynamo(_: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    Err(no_dynamodb())
}

/// What a build without the `dynamodb` feature says when asked for DynamoDB.
#[cfg(not(feature = "dynamodb"))]
pub fn no_dynamodb() -> anyhow::Error {
    anyhow::anyhow!(
        "this build has no DynamoDB back end: build with the `dynamodb` feature (on by default; \
         `cargo xtask run` leaves it out to build faster)"
    )
}

pub fn dynamo_settings(settings: &Settings) -> anyhow::Result<&DynamoSettings> {
    settings.dynamodb.as_ref().context(
        "store = dynamodb needs a [dynamodb] section (at least BOOKSTORE__DYNAMODB__TABLE)",
    )
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        Self::build_with_store(settings, store).await
    }

    pub async fn build_with_store(
        settings: Settings,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Self> {
        let secret = settings.jwt_secret()?;
        let shipping = settings.shipping()?;
        let kdf = settings.password_kdf()?;
        let metrics = Arc::new(Metrics::new()?);
        let store: Arc<dyn Store> = Arc::new(InstrumentedStore::new(store, metrics.clone()));
        let cursors = Arc::new(CursorCodec::new(&secret));
        let wakeup = Wakeup::new();
        // Every write goes through it, so each committed job reaches this instance's dispatcher.
        let store = wakeup.watch(store);
        let webhooks = Arc::new(Webhooks::new(
            store.clone(),
            cursors.clone(),
            settings.webhooks.webhook_config(),
        ));
        let mailer = match &settings.mail {
            Some(m) => Some(Arc::new(
                Mailer::new(&m.mail_config()).map_err(|e| anyhow::anyhow!("mail: {e}"))?,
            )),
            None => None,
        };
        let payments = match &settings.payments {
            Some(p) => Some(Arc::new(
                Payments::new(p.payments_config()).map_err(|e| anyhow::anyhow!("payments: {e}"))?,
            )),
            None => {
                tracing::warn!("no payment provider is configured: checkout answers 503");
                None
            }
        };
        let shipping = Arc::new(shipping);
        let orders = Arc::new(
            Orders::new(
                store.clone(),
                cursors.clone(),
                i64::from(settings.idempotency_ttl_secs),
                shipping.clone(),
                payments,
            )
            .with_wakeup(wakeup.clone())
            .with_return_window(settings.return_window_days)
            .with_low_stock_threshold(settings.inventory.low_stock_threshold),
        );
        let catalogue = Arc::new(
            Catalogue::new(
                store.clone(),
                cursors.clone(),
                &settings.catalogue_config()?,
            )
            .with_wakeup(wakeup.clone()),
        );
        let dispatcher = Dispatcher::new(
            webhooks.clone(),
            mailer,
            wakeup.clone(),
            settings.webhooks.dispatch_config(),
        )?
        .with_orders(orders.clone())
        .with_catalogue(catalogue.clone());
        let operations = Arc::new(Operations::new(
            store.clone(),
            Duration::from_secs(u64::from(settings.ops_retention_days) * 86_400),
        ));
        let ops = Arc::new(OpsRecorder::new());
        let instance = settings
            .instance_id
            .clone()
            .unwrap_or_else(crate::ops::default_instance_id);
        let state = web::Data::new(AppState {
            catalogue: catalogue.clone(),
            orders,
            operations: operations.clone(),
            ops: ops.clone(),
            sales: Sales::new(
                store.clone(),
                settings.currency.clone(),
                Duration::from_millis(settings.stats_max_age_ms),
            ),
            users: Users::new(store.clone())
                .with_wakeup(wakeup)
                .with_link_ttls(settings.link_ttls()),
            addresses: Addresses::new(store.clone()),
            carts: Carts::new(store.clone()),
            shipping,
            audit: Audit::new(store.clone(), cursors.clone()),
            api_keys: ApiKeys::new(store.clone(), cursors),
            webhooks,
            store,
            tokens: Tokens::new(&secret, settings.token_ttl_secs),
            metrics,
            limits: Limiters::new(&settings.rate_limit, settings.trusted_proxies),
            hashing: {
                let threads = settings
                    .password_hash_threads
                    .unwrap_or_else(default_threads);
                HashPool::new(threads, threads * DEFAULT_WAITING_PER_THREAD, kdf.clone())?
            },
        });
        if let Some(admin) = &settings.admin {
            ensure_admin(
                &state.users,
                &kdf,
                &admin.email,
                &admin.name,
                admin.password.expose_secret(),
            )
            .await?;
        }
        if settings.seed_demo() && state.catalogue.is_empty().await? {
            let n = seed::load_demo(&state.catalogue).await?;
            tracing::info!(books = n, "loaded the demo catalogue into the empty store");
        }
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let body_limit = settings.max_body_bytes;
        let spec = openapi::document();
        let live = Live::start(
            state.store.clone(),
            POLL_INTERVAL,
            settings.rate_limit.streams_per_client.max(1) as usize,
        );
        live.close_on_shutdown_signal();
        let live = web::Data::new(live);
        let payment_sources = settings
            .payments
            .as_ref()
            .map(|p| crate::spa::PaymentSources::for_script(&p.js_url))
            .unwrap_or_default();
        let static_files =
            web::Data::new(StaticFiles::load(&settings.static_dir, &payment_sources));
        let cors_origins = settings.cors_origins.clone();
        let metrics = match &settings.metrics_listen {
            Some(addr) => Some(metrics_server(addr, state.clone())?),
            None => None,
        };
        let metrics_here = metrics.is_none();
        if let Some(service) = &settings.emf_service {
            crate::emf::spawn(
                state.metrics.clone(),
                service.clone(),
                instance.clone(),
                EMF_INTERVAL,
            );
        }
        let (base_nice, worker_nice) = (crate::priority::current_nice(), settings.worker_nice);
        // The embedded store's flushes and compactions run on fjall's workers, which would
        // otherwise keep the process's nice: ahead of the request workers a compaction of a
        // second took both cores and stalled every request; level with them it still took
        // half of theirs (session 35's profiled soak). Below them it takes what they leave.
        // The store has been open a while here, so its threads have their names.
        let reniced = crate::priority::renice_threads("fjall:", base_nice, settings.store_nice);
        tracing::debug!(reniced, "the store's background threads reniced");
        // actix calls this factory on each worker's own thread as the worker starts.
        let mut server = HttpServer::new(move || {
            crate::priority::renice_current_thread(base_nice, worker_nice);
            App::new()
                .app_data(state.clone())
                .app_data(live.clone())
                .app_data(static_files.clone())
                .app_data(json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(path_config())
                .app_data(query_config())
                // Innermost first: the last `wrap` sees the request first.
                .wrap(ErrorHandlers::new().default_handler(problem_fallback))
                .wrap(from_fn(middleware::rate_limit))
                // Without configured origins no browser may read a cross-origin answer
                // anyway: skip the middleware and the headers it adds to every response.
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins),
                ))
                .wrap(Compress::default())
                .wrap(from_fn(middleware::edge))
                .wrap(tracing_actix_web::TracingLogger::<
                    crate::telemetry::RequestSpan,
                >::new())
                .configure(|cfg| {
                    let mut cfg = utoipa_actix_web::service_config::ServiceConfig::new(cfg);
                    routes::register(&mut cfg, metrics_here);
                })
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", spec.clone()))
                .default_service(web::to(fallback))
        })
        .keep_alive(Duration::from_secs(settings.keep_alive_secs))
        // A connection that has not sent its first request is idle too: actix-web's 5 s
        // default answered pooled connections a client opened and used only later with a 408.
        .client_request_timeout(Duration::from_secs(settings.keep_alive_secs))
        .listen(listener)?;
        // On SIGTERM/SIGINT, stop accepting and let in-flight requests finish.
        server = server.shutdown_timeout(30);
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        Ok(Self {
            port,
            server: server.run(),
            metrics,
            dispatcher: dispatcher.start(),
            ops_flusher: ops.clone().start(
                operations.clone(),
                instance.clone(),
                Duration::from_millis(settings.ops_flush_ms),
            ),
            ops: (ops, operations, instance),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `metrics_listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Jobs it holds are picked up by another instance (or this one, restarted) after
        // their lease.
        let _dispatcher = AbortOnDrop(self.dispatcher);
        let flusher = AbortOnDrop(self.ops_flusher);
        let (ops, operations, instance) = self.ops;
        let served = match self.metrics {
            None => self.server.await,
            Some((_, metrics)) => {
                let handle = metrics.handle();
                let metrics = tokio::spawn(metrics);
                let served = self.server.await;
                handle.stop(true).await;
                let _ = metrics.await;
                served
            }
        };
        // The requests served since the last flush, in-flight ones included: the server has
        // drained them.
        drop(flusher);
        ops.flush(&operations, &instance).await;
        served
    }
}

/// CloudWatch's finest standard resolution.
const EMF_INTERVAL: Duration = Duration::from_secs(60);

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A listener that serves only `GET /metrics` (one worker: a scrape every few seconds).
fn metrics_server(addr: &str, state: web::Data<AppState>) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr} (metrics)"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(ErrorHandlers::new().default_handler(problem_fallback))
            .service(routes::health::metrics)
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok((port, server))
}

/// Creates the admin account, an owner, unless the e-mail is already registered.
pub async fn ensure_admin(
    users: &Users,
    kdf: &PasswordKdf,
    email: &str,
    name: &str,
    password: &str,
) -> anyhow::Result<bool> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("admin e-mail: {e}"))?;
    let name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("admin name: {e}"))?;
    let password = bookstore_model::Password::parse(password)
        .map_err(|e| anyhow::anyhow!("admin password: {e}"))?;
    if let Some((existing, _)) = users
        .find(&email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        // An owner made before the staff roster existed joins it.
        users
            .enroll(&existing)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(false);
    }
    let (pw, kdf) = (password.expose().to_owned(), kdf.clone());
    let hash = tokio::task::spawn_blocking(move || kdf.hash(&pw))
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = bookstore_domain::users::new_user(email, name, Role::Owner);
    match users.create(&user, hash).await {
        Ok(()) => {}
        // Another instance starting at the same moment created it first.
        Err(bookstore_domain::Error::Conflict(ProblemCode::EmailTaken, _)) => return Ok(false),
        Err(e) => anyhow::bail!("creating the admin account: {e}"),
    }
    users
        .enroll(&user)
        .await
        .map_err(|e| anyhow::anyhow!("adding the admin to the staff: {e}"))?;
    tracing::info!(email = %user.email, "created the admin account");
    Ok(true)
}

/// CORS for browser clients on other origins; none are allowed unless configured.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::ACCEPT,
        ])
        .allowed_header("idempotency-key")
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
        .expose_headers(["x-request-id"])
        .max_age(3600);
    for o in origins {
        cors = cors.allowed_origin(o);
    }
    cors
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| {
            use actix_web::error::JsonPayloadError as E;
            let api = match &err {
                E::OverflowKnownLength { .. } | E::Overflow { .. } => {
                    ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
                }
                E::ContentType => {
                    ApiError::UnsupportedMediaType("send Content-Type: application/json".into())
                }
                E::Deserialize(e) if e.is_data() => ApiError::Validation(e.to_string()),
                E::Deserialize(e) => {
                    ApiError::BadRequest(ProblemCode::InvalidJson, format!("malformed JSON: {e}"))
                }
                other => ApiError::BadRequest(ProblemCode::InvalidJson, other.to_string()),
            };
            api.into()
        })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest(
            ProblemCode::InvalidId,
            format!("malformed id in the path: {err}"),
        )
        .into()
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest(
            ProblemCode::InvalidQuery,
            format!("bad query string: {err}"),
        )
        .into()
    })
}

/// The single-page app for what the API does not route (see [`StaticFiles::respond`]), else a
/// 404 problem.
async fn fallback(
    req: actix_web::HttpRequest,
    files: web::Data<StaticFiles>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    files
        .respond_with_books(&req, &state.catalogue)
        .await
        .ok_or(ApiError::NotFound("resource"))
}

/// Turns any error response that is not already a problem document (a 405 from the router, a
/// 413 from the payload reader, ...) into one, so that clients meet a single error format.
fn problem_fallback<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let api = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("resource"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::BadRequest(
            ProblemCode::MethodNotAllowed,
            "method not allowed on this resource".into(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge("the body is too large".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("unsupported content type".into())
        }
        s if s.is_server_error() => ApiError::Internal(format!("{s} without a problem body")),
        _ => ApiError::BadRequest(
            ProblemCode::BadRequest,
            status.canonical_reason().unwrap_or("bad request").into(),
        ),
    };
    let mut problem = api.problem();
    problem.status = status.as_u16();
    problem.title = status.canonical_reason().unwrap_or("Error").to_owned();
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut new = HttpResponse::build(status);
    // A 405 says which methods the resource takes.
    if let Some(allow) = allow {
        new.insert_header((header::ALLOW, allow));
    }
    let new = new.content_type("application/problem+json").json(problem);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body::<B>(),
    ))
}
