use crate::helpers::*;
use bookstore_model::*;
use futures::future::join_all;

#[tokio::test]
async fn returns_move_stock_and_status() {
    let app = TestApp::spawn().await;
    let a = app.book("Ret A", 10).await;
    let b = app.book("Ret B", 10).await;
    let shopper = app.customer().await;
    let order = shopper
        .place_order(&order_of(vec![line(a.id, 3), line(b.id, 1)]), None)
        .await
        .unwrap()
        .value;

    let r1 = shopper
        .create_return(order.id, &return_of(vec![line(a.id, 2)]))
        .await
        .unwrap();
    assert_eq!(r1.order.status, OrderStatus::PartiallyReturned);
    assert_eq!(r1.return_.refund_cents, 2000);
    assert_eq!(r1.order.lines[0].returned_quantity, 2);
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 9);

    let err = shopper
        .create_return(order.id, &return_of(vec![line(a.id, 2)]))
        .await
        .unwrap_err();
    let p = err.problem().unwrap();
    assert_eq!(
        (p.status, p.code),
        (409, ProblemCode::ReturnExceedsPurchase)
    );
    assert_eq!(
        p.excess.clone().unwrap(),
        vec![ReturnExcess {
            book_id: a.id,
            requested: 2,
            returnable: 1
        }]
    );
    // A book that is not on the order cannot be returned either.
    let other = app.book("Not bought", 1).await;
    let err = shopper
        .create_return(order.id, &return_of(vec![line(other.id, 1)]))
        .await;
    assert_eq!(code_of(err), (409, ProblemCode::ReturnExceedsPurchase));

    let r2 = shopper
        .create_return(order.id, &return_of(vec![line(a.id, 1), line(b.id, 1)]))
        .await
        .unwrap();
    assert_eq!(r2.order.status, OrderStatus::Returned);
    assert_eq!(r2.order.refunded_cents, r2.order.total_cents);
    assert_eq!(shopper.get_order(order.id).await.unwrap(), r2.order);
    assert_eq!(app.api.get_book(a.id).await.unwrap().stock, 10);
    assert_eq!(app.api.get_book(b.id).await.unwrap().stock, 10);
    let returns = shopper.list_returns(order.id).await.unwrap();
    assert_eq!(
        returns.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r1.return_.id, r2.return_.id]
    );

    // Only the owner can return.
    let stranger = app.customer().await;
    assert_eq!(
        code_of(
            stranger
                .create_return(order.id, &return_of(vec![line(a.id, 1)]))
                .await
        ),
        (404, ProblemCode::NotFound)
    );
}

#[tokio::test]
async fn racing_returns_never_exceed_the_purchase() {
    let app = TestApp::spawn().await;
    let book = app.book("Race", 10).await;
    let shopper = app.customer().await;
    let order = shopper
        .place_order(&order_of(vec![line(book.id, 5)]), None)
        .await
        .unwrap()
        .value;
    let one = return_of(vec![line(book.id, 1)]);
    let results = join_all((0..12).map(|_| shopper.create_return(order.id, &one))).await;
    let mut ok = 0;
    for r in results {
        match r {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), Some(ProblemCode::ReturnExceedsPurchase), "{e}"),
        }
    }
    assert_eq!(ok, 5);
    let after = shopper.get_order(order.id).await.unwrap();
    assert_eq!(after.status, OrderStatus::Returned);
    assert_eq!(after.lines[0].returned_quantity, 5);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 10);
    assert_eq!(shopper.list_returns(order.id).await.unwrap().len(), 5);
}

#[tokio::test]
async fn returning_a_deleted_book_keeps_the_order_consistent() {
    let app = TestApp::spawn().await;
    let book = app.book("Soon gone", 4).await;
    let shopper = app.customer().await;
    let order = shopper
        .place_order(&order_of(vec![line(book.id, 2)]), None)
        .await
        .unwrap()
        .value;
    app.admin.admin_delete_book(book.id, None).await.unwrap();
    let kept = shopper.get_order(order.id).await.unwrap();
    assert_eq!(kept.lines[0].title.as_str(), "Soon gone");
    let receipt = shopper
        .create_return(order.id, &return_of(vec![line(book.id, 2)]))
        .await
        .unwrap();
    assert_eq!(receipt.order.status, OrderStatus::Returned);
    assert_eq!(
        code_of(app.api.get_book(book.id).await),
        (404, ProblemCode::NotFound)
    );
}
