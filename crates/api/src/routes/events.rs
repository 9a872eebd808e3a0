//! `GET /api/v1/events`: live stock as server-sent events.
//!
//! Public (a browser `EventSource` cannot send an `Authorization` header) and carries only
//! public catalogue data. See [`bookstore_domain::live`] for how changes are found.
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use bookstore_domain::live::{self, HEARTBEAT_INTERVAL, Live, LiveEvent, Subscription};
use bookstore_model::{BookId, CatalogueEvent, MAX_WATCHED_BOOKS, ProblemCode};
use serde::Deserialize;
use std::collections::{HashSet, VecDeque};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers this resource's routes (for actix and the OpenAPI document alike).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope("/events").service(stream));
}

/// Query parameters of `GET /api/v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Comma-separated ids of the books on screen, at most 100 different ones (empty entries
    /// and white space around an id are ignored).
    #[serde(default)]
    #[param(schema_with = bookstore_model::schema::book_id_list)]
    pub books: Option<String>,
}

/// One event of the stream, as an `EventSource` sees it (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ServerSentEvent {
    /// `stock`, `removed`, `catalogue` or `resync`.
    #[schema(pattern = "^(stock|removed|catalogue|resync)$")]
    event: Option<String>,
    /// JSON: a `StockEvent`, `RemovedEvent`, `CatalogueEvent`, or `{}` for `resync`.
    data: Option<String>,
}

fn parse_books(raw: Option<&str>) -> ApiResult<HashSet<BookId>> {
    let mut out = HashSet::new();
    for part in raw.unwrap_or_default().split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let id: BookId = part.parse().map_err(|_| {
            ApiError::BadRequest(ProblemCode::InvalidQuery, format!("not a book id: {part}"))
        })?;
        out.insert(id);
    }
    if out.len() > MAX_WATCHED_BOOKS {
        return Err(ApiError::BadRequest(
            ProblemCode::InvalidQuery,
            format!("watch at most {MAX_WATCHED_BOOKS} books per stream"),
        ));
    }
    Ok(out)
}

/// Live stock: a `text/event-stream` of `stock`, `removed`, `catalogue` and `resync` events.
///
/// Right after connecting, the stream sends the current `stock` (or `removed`) of every book
/// named in `books` and the `catalogue` event with the newest book; after that, only changes,
/// found by a poller about once a second. `stock` data is a `StockEvent`, `removed` a
/// `RemovedEvent`, `catalogue` a `CatalogueEvent`; `resync` (data `{}`) asks the client to
/// reload what it shows. A comment line is sent every 15 s when idle. Reconnect with the same
/// URL (an `EventSource` does so by itself).
#[utoipa::path(
    get,
    operation_id = "streamEvents",
    tag = "catalogue",
    params(EventsQuery),
    responses(
        (status = 200, description = "A stream of server-sent events; the schema is that of each event", content_type = "text/event-stream", body = ServerSentEvent),
        (status = 400, description = "A malformed id or more than 100 books"),
        (status = 429, description = "This client has as many streams open as it may (`rate_limited`, `rate_limit.streams_per_client`), or reads too fast")
    )
)]
#[get("")]
pub async fn stream(
    state: web::Data<AppState>,
    live: web::Data<std::sync::Arc<Live>>,
    req: HttpRequest,
    q: web::Query<EventsQuery>,
) -> ApiResult<HttpResponse> {
    let books = parse_books(q.books.as_deref())?;
    let client = state.limits.client(&req);
    let sub = live.subscribe(books, client).map_err(|_| {
        state
            .metrics
            .rate_limited
            .with_label_values(&["streams"])
            .inc();
        // A stream ends when its tab closes: try again in a while.
        ApiError::RateLimited(5)
    })?;
    let ids: Vec<BookId> = sub.books.iter().copied().collect();
    let mut pending: VecDeque<Bytes> = VecDeque::new();
    // Tells the browser how soon to reconnect after a dropped connection.
    pending.push_back(Bytes::from_static(b"retry: 2000\n\n"));
    let snapshot = live::snapshot(state.store.as_ref(), &ids)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let newest = live::newest_book(state.store.as_ref())
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    for e in snapshot
        .into_iter()
        .chain([LiveEvent::Catalogue(CatalogueEvent { newest })])
    {
        pending.push_back(Bytes::from(e.to_frame()));
    }
    let start = tokio::time::Instant::now() + HEARTBEAT_INTERVAL;
    let conn = Conn {
        sub,
        pending,
        heartbeat: tokio::time::interval_at(start, HEARTBEAT_INTERVAL),
    };
    let body = futures::stream::unfold(conn, |mut c| async move {
        let frame = c.next_frame().await?;
        Some((Ok::<_, actix_web::Error>(frame), c))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Keeps the compression middleware from buffering the stream.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// One client's stream. Dropping it (the client went away) drops the subscription.
struct Conn {
    sub: Subscription,
    pending: VecDeque<Bytes>,
    heartbeat: tokio::time::Interval,
}

impl Conn {
    async fn next_frame(&mut self) -> Option<Bytes> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Some(b);
            }
            if *self.sub.closing.borrow() {
                return None;
            }
            tokio::select! {
                _ = self.sub.closing.changed() => return None,
                _ = self.heartbeat.tick() => return Some(Bytes::from_static(b": keep-alive\n\n")),
                r = self.sub.events.recv() => match r {
                    Ok(e) => {
                        if e.book_id().is_none_or(|id| self.sub.books.contains(&id)) {
                            return Some(Bytes::from(e.to_frame()));
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        return Some(Bytes::from_static(b"event: resync\ndata: {}\n\n"));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comma_separated_ids() {
        let a = BookId::new();
        let b = BookId::new();
        let got = parse_books(Some(&format!("{a}, {b},,{a}"))).expect("valid");
        assert_eq!(got, HashSet::from([a, b]));
        assert!(parse_books(None).expect("empty").is_empty());
        assert!(parse_books(Some("nope")).is_err());
        let many: Vec<String> = (0..101).map(|_| BookId::new().to_string()).collect();
        assert!(parse_books(Some(&many.join(","))).is_err());
    }
}
