//! The ceiling of the HTTP benchmarks: the smallest actix-web service answering JSON, built
//! with the same framework, release profile and worker count as the shop. Every HTTP figure in
//! `benches/README.md` is quoted as a ratio to this one, measured in the same session.
//!
//! `bookstore-ceiling [ADDR]` (default `127.0.0.1:8090`); `GET /` answers `{"ok":true}`.
use actix_web::{App, HttpServer, Responder, get, web};
use serde::Serialize;

#[derive(Serialize)]
struct Ok {
    ok: bool,
}

#[get("/")]
async fn ok() -> impl Responder {
    web::Json(Ok { ok: true })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    eprintln!("ceiling: listening on http://{addr}/");
    HttpServer::new(|| App::new().service(ok))
        .bind(addr)?
        .run()
        .await
}
