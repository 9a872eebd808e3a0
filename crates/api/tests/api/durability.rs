//! A write acknowledged to a client survives `kill -9` of the server process.
use crate::helpers::*;
use bookstore_model::*;

#[tokio::test]
async fn acknowledged_orders_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let dynamo = test_dynamo().await;
    let mut server = start_server(data.path(), dynamo.as_ref()).await;
    let admin = server.client.authed(
        server
            .client
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .unwrap()
            .token,
    );
    let book = admin
        .admin_create_book(&new_book("Durable", "A", "fiction", 1000, 100))
        .await
        .unwrap();
    let reg = RegisterRequest {
        email: Email::parse("durable@example.com").unwrap(),
        password: Password::parse("durable password").unwrap(),
        name: PersonName::parse("D").unwrap(),
    };
    let shopper = server
        .client
        .authed(server.client.register(&reg).await.unwrap().token);
    let mut acknowledged = Vec::new();
    // Concurrent orders, so that several share one group commit.
    let placed = futures::future::join_all((0..30).map(|i| {
        let s = shopper.clone();
        async move {
            s.place_order(&order_of(vec![line(book.id, 1 + i % 2)]), None)
                .await
        }
    }))
    .await;
    for p in placed {
        acknowledged.push(p.expect("order").value);
    }
    let returned = shopper
        .create_return(acknowledged[0].id, &return_of(vec![line(book.id, 1)]))
        .await
        .unwrap();

    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();

    let server = start_server(data.path(), dynamo.as_ref()).await;
    let shopper = server.client.authed(
        server
            .client
            .login("durable@example.com", "durable password")
            .await
            .unwrap()
            .token,
    );
    let mut units = 0;
    for order in &acknowledged {
        let stored = shopper
            .get_order(order.id)
            .await
            .expect("acknowledged order survived");
        assert_eq!(stored.lines[0].quantity, order.lines[0].quantity);
        units += order.lines[0].quantity;
    }
    assert_eq!(
        shopper.get_order(acknowledged[0].id).await.unwrap(),
        returned.order
    );
    let after = server.client.get_book(book.id).await.unwrap();
    assert_eq!(after.stock, 100 - i64::from(units) + 1);
}
