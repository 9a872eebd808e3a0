use clap::Parser;

// glibc's allocator showed up at ~10 % of CPU on catalogue reads; mimalloc's per-thread
// free lists make the many small short-lived allocations of a request cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    bookstore_api::telemetry::init();
    Box::pin(bookstore_api::cli::run(bookstore_api::cli::Cli::parse())).await
}
