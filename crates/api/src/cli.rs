//! `bookstore serve | seed | admin create | admin revoke | openapi | dynamo init`.
use crate::settings::{Settings, StoreKind};
use crate::startup::{Application, ensure_admin, open_store};
use bookstore_domain::cursor::CursorCodec;
use bookstore_domain::{Catalogue, Users};
use bookstore_model::{Email, Role};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "bookstore", version, about = "The bookstore API server")]
pub struct Cli {
    /// A TOML configuration file (default: ./bookstore.toml if present).
    #[arg(long, global = true, env = "BOOKSTORE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The back end, overriding the `store` setting.
    #[arg(long, global = true, value_enum)]
    pub store: Option<StoreKind>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Load the demo catalogue (books already present by ISBN are skipped).
    Seed,
    /// Manage admin accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage the DynamoDB table.
    Dynamo {
        #[command(subcommand)]
        command: DynamoCommand,
    },
}

#[derive(Subcommand)]
pub enum DynamoCommand {
    /// Create the table, its indexes and TTL if missing (idempotent), and wait until active.
    Init,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an admin account. The password is read from the first line of standard input,
    /// never from the command line.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Take an owner's or staff member's rights away (the account stays, as a customer's; not
    /// the last owner). Its tokens stop opening admin routes at once, on every instance.
    Revoke {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let store = cli.store;
    let settings = || {
        Settings::load(cli.config.as_deref()).map(|mut s| {
            if let Some(kind) = store {
                s.store = kind;
            }
            s
        })
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let settings = settings()?;
            let app = Application::build(settings.clone()).await?;
            tracing::info!(port = app.port(), mode = ?settings.mode, "bookstore listening");
            app.run_until_stopped().await?;
        }
        Command::Seed => {
            let settings = settings()?;
            let store = open_store(&settings).await?;
            // Seeding pages through nothing: its cursors need no lasting key.
            let cursors = Arc::new(CursorCodec::ephemeral());
            let catalogue = Catalogue::new(store, cursors, &settings.catalogue_config()?);
            let n = crate::seed::load_demo(&catalogue).await?;
            println!("added {n} books");
        }
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => {
            let settings = settings()?;
            let kdf = settings.password_kdf()?;
            let store = open_store(&settings).await?;
            eprintln!("password (one line on stdin):");
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if ensure_admin(&Users::new(store), &kdf, &email, &name, password).await? {
                println!("created admin {email}");
            } else {
                anyhow::bail!("an account with e-mail {email} already exists");
            }
        }
        Command::Admin {
            command: AdminCommand::Revoke { email },
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("{email}: {e}"))?;
            let store = open_store(&settings()?).await?;
            if Users::new(store).set_role(&email, Role::Customer).await? {
                println!("{email} is no longer an owner or staff member");
            } else {
                anyhow::bail!("no account with e-mail {email}");
            }
        }
        Command::Openapi => print!("{}", crate::openapi::pretty_json()),
        Command::Dynamo {
            command: DynamoCommand::Init,
        } => {
            dynamo_init(&settings()?).await?;
        }
    }
    Ok(())
}

/// `bookstore dynamo init`: creates the table and its indexes if missing.
#[cfg(feature = "dynamodb")]
async fn dynamo_init(settings: &Settings) -> anyhow::Result<()> {
    let store = crate::startup::dynamo_store(settings).await?;
    let created = store.init().await?;
    let what = if created { "created" } else { "already exists" };
    println!("table {} {what}", store.table());
    Ok(())
}

#[cfg(not(feature = "dynamodb"))]
async fn dynamo_init(_: &Settings) -> anyhow::Result<()> {
    Err(crate::startup::no_dynamodb())
}
