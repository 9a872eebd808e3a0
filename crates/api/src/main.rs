use clap::Parser;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    bookstore_api::telemetry::init();
    bookstore_api::cli::run(bookstore_api::cli::Cli::parse()).await
}
