use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`); JSON lines when
/// `BOOKSTORE_LOG_FORMAT=json`. Each finished request logs one line (its span closing) with
/// method, route, status, request id and duration; `RUST_LOG=warn` turns that off.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("BOOKSTORE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
