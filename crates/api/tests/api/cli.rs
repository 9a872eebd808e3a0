//! The `bookstore` binary's commands, run as a user would.
use crate::helpers::*;
use bookstore_model::{PageQuery, ProblemCode, Role};
use std::io::Write;
use std::process::{Command, Stdio};

fn bookstore(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bookstore"));
    cmd.env("BOOKSTORE__DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .env_remove("BOOKSTORE__JWT_SECRET");
    cmd
}

#[test]
fn production_mode_refuses_a_missing_or_weak_secret() {
    let data = tempfile::tempdir().unwrap();
    let repeated = "changeme".repeat(4);
    for secret in [
        None,
        Some("changeme"),
        Some("short-secret"),
        Some(&*repeated),
    ] {
        let mut cmd = bookstore(data.path());
        cmd.arg("serve")
            .env("BOOKSTORE__MODE", "production")
            .env("BOOKSTORE__LISTEN", "127.0.0.1:0");
        if let Some(s) = secret {
            cmd.env("BOOKSTORE__JWT_SECRET", s);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{secret:?} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("jwt_secret"), "{err}");
    }
}

#[tokio::test]
async fn admin_create_then_seed_then_serve() {
    let data = tempfile::tempdir().unwrap();
    let mut child = bookstore(data.path())
        .args([
            "admin",
            "create",
            "--email",
            "Boss@Example.com",
            "--name",
            "Boss",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a strong admin password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // A second time is refused: the account exists.
    let mut again = bookstore(data.path())
        .args(["admin", "create", "--email", "boss@example.com"])
        .stderr(Stdio::null())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    again
        .stdin
        .take()
        .unwrap()
        .write_all(b"another password\n")
        .unwrap();
    assert!(!again.wait().unwrap().success());

    let seeded = bookstore(data.path()).arg("seed").output().unwrap();
    assert!(
        String::from_utf8_lossy(&seeded.stdout).contains("added 300 books"),
        "{seeded:?}"
    );
    let reseeded = bookstore(data.path()).arg("seed").output().unwrap();
    assert!(
        String::from_utf8_lossy(&reseeded.stdout).contains("added 0 books"),
        "{reseeded:?}"
    );

    // Serve that data directory and log in as the admin.
    let mut settings = bookstore_api::settings::Settings::for_tests(data.path());
    settings.jwt_secret = Some(JWT_SECRET.to_owned().into());
    let app = bookstore_api::startup::Application::build(settings)
        .await
        .unwrap();
    let api = bookstore_client::Client::new(format!("http://127.0.0.1:{}", app.port()));
    tokio::spawn(app.run_until_stopped());
    let admin = api
        .login("boss@example.com", "a strong admin password")
        .await
        .unwrap();
    assert_eq!(admin.user.role, bookstore_model::Role::Owner);
    let page = api
        .list_books(&bookstore_model::BookQuery {
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 100);
    let genres: i64 = api.genres().await.unwrap().iter().map(|g| g.count).sum();
    assert_eq!(genres, 300);
}

/// An admin whose rights are revoked loses them at once: the token still says admin, the
/// account no longer does.
#[tokio::test]
async fn a_revoked_admins_token_no_longer_opens_admin_routes() {
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let token = {
        let server = start_server(data.path(), dynamo.as_ref()).await;
        let token = server
            .client
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap()
            .token;
        let admin = server.client.authed(token.clone());
        add_test_genres(&admin).await;
        admin
            .admin_create_book(&new_book("Before", "A", "fiction", 100, 1))
            .await
            .unwrap();
        token
        // Stopped here: the embedded store is opened by one process at a time.
    };
    let revoked = bookstore_on(data.path(), dynamo.as_ref())
        .args(["admin", "revoke", "--email", ADMIN_EMAIL])
        .output()
        .unwrap();
    assert!(revoked.status.success(), "{revoked:?}");
    let unknown = bookstore_on(data.path(), dynamo.as_ref())
        .args(["admin", "revoke", "--email", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!unknown.status.success(), "{unknown:?}");

    // Started again with the same bootstrap admin: an existing account is left as it is.
    let server = start_server(data.path(), dynamo.as_ref()).await;
    let old = server.client.authed(token);
    let refused = old
        .admin_create_book(&new_book("After", "A", "fiction", 100, 1))
        .await;
    assert_eq!(code_of(refused), (403, ProblemCode::Forbidden));
    // Still a customer.
    assert!(old.list_orders(&PageQuery::default()).await.is_ok());
    let again = server
        .client
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    assert_eq!(again.user.role, Role::Customer);
}
