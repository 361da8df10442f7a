use super::*;

fn request(amount: i64) -> AuthorizeRequest {
    AuthorizeRequest {
        amount,
        currency: "SAR".into(),
        reference: Uuid::now_v7(),
    }
}

async fn authorized(terminal: &SimulatedTerminal, amount: i64) -> Authorization {
    terminal.authorize(request(amount)).await.unwrap()
}

#[tokio::test]
async fn approve_capture_and_refund_partially_then_fully() {
    let terminal = SimulatedTerminal::new();
    let auth = authorized(&terminal, 5000).await;
    assert_eq!(auth.approved_amount, 5000);
    assert_eq!(auth.card_brand.as_deref(), Some("visa"));
    assert_eq!(auth.last4.as_ref().map(String::len), Some(4));

    let capture = terminal.capture(&auth.provider_ref, 4500).await.unwrap();
    assert_eq!(capture.amount, 4500);

    let first = terminal
        .refund(&auth.provider_ref, 1000, Uuid::now_v7())
        .await
        .unwrap();
    assert_eq!(first.amount, 1000);
    let rest = terminal
        .refund(&auth.provider_ref, 3500, Uuid::now_v7())
        .await
        .unwrap();
    assert_ne!(first.provider_refund_ref, rest.provider_refund_ref);

    let status = terminal.status(auth.reference).await.unwrap().unwrap();
    assert_eq!(status.state, TerminalPaymentState::Captured);
    assert_eq!(status.captured_amount, 4500);
    assert_eq!(status.refunded_amount, 4500);
}

#[tokio::test]
async fn refunds_are_cumulative_and_never_exceed_the_capture() {
    let terminal = SimulatedTerminal::new();
    let auth = authorized(&terminal, 3000).await;
    terminal.capture(&auth.provider_ref, 3000).await.unwrap();

    let over = terminal
        .refund(&auth.provider_ref, 3001, Uuid::now_v7())
        .await;
    assert!(matches!(over, Err(ProviderError::Invalid(_))), "{over:?}");

    terminal
        .refund(&auth.provider_ref, 2000, Uuid::now_v7())
        .await
        .unwrap();
    // 2000 + 1001 > 3000: each refund alone fits, together they do not.
    let second = terminal
        .refund(&auth.provider_ref, 1001, Uuid::now_v7())
        .await;
    assert!(
        matches!(second, Err(ProviderError::Invalid(_))),
        "{second:?}"
    );
    terminal
        .refund(&auth.provider_ref, 1000, Uuid::now_v7())
        .await
        .unwrap();
    let after_full = terminal.refund(&auth.provider_ref, 1, Uuid::now_v7()).await;
    assert!(matches!(after_full, Err(ProviderError::Invalid(_))));

    let status = terminal.status(auth.reference).await.unwrap().unwrap();
    assert_eq!(status.refunded_amount, 3000);
}

#[tokio::test]
async fn refunds_are_idempotent_by_refund_reference() {
    let terminal = SimulatedTerminal::new();
    let auth = authorized(&terminal, 3000).await;
    terminal.capture(&auth.provider_ref, 3000).await.unwrap();
    let refund_reference = Uuid::now_v7();
    let first = terminal
        .refund(&auth.provider_ref, 2000, refund_reference)
        .await
        .unwrap();
    let again = terminal
        .refund(&auth.provider_ref, 2000, refund_reference)
        .await
        .unwrap();
    assert_eq!(first, again);
    let changed = terminal
        .refund(&auth.provider_ref, 1500, refund_reference)
        .await;
    assert!(matches!(changed, Err(ProviderError::Invalid(_))));
    let status = terminal.status(auth.reference).await.unwrap().unwrap();
    assert_eq!(status.refunded_amount, 2000);
}

#[tokio::test]
async fn refund_timeout_is_recorded_and_found_on_retry() {
    let terminal = SimulatedTerminal::new();
    let auth = authorized(&terminal, 3000).await;
    terminal.capture(&auth.provider_ref, 3000).await.unwrap();
    let refund_reference = Uuid::now_v7();
    let lost = terminal
        .refund(&auth.provider_ref, 1052, refund_reference)
        .await;
    assert_eq!(lost, Err(ProviderError::Timeout));
    let status = terminal.status(auth.reference).await.unwrap().unwrap();
    assert_eq!(status.refunded_amount, 1052);
    let retried = terminal
        .refund(&auth.provider_ref, 1052, refund_reference)
        .await
        .unwrap();
    assert_eq!(retried.amount, 1052);
    let status = terminal.status(auth.reference).await.unwrap().unwrap();
    assert_eq!(
        status.refunded_amount, 1052,
        "the retry refunded nothing more"
    );
}

#[tokio::test]
async fn capture_is_bounded_by_the_authorization_and_repeatable() {
    let terminal = SimulatedTerminal::new();
    let auth = authorized(&terminal, 2000).await;
    let over = terminal.capture(&auth.provider_ref, 2001).await;
    assert!(matches!(over, Err(ProviderError::Invalid(_))));
    terminal.capture(&auth.provider_ref, 2000).await.unwrap();
    // A retried capture (the first answer was lost) is harmless…
    terminal.capture(&auth.provider_ref, 2000).await.unwrap();
    // …a different one is not.
    let other = terminal.capture(&auth.provider_ref, 1000).await;
    assert!(matches!(other, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn refund_before_capture_is_refused() {
    let terminal = SimulatedTerminal::new();
    let auth = authorized(&terminal, 2000).await;
    let refund = terminal
        .refund(&auth.provider_ref, 1000, Uuid::now_v7())
        .await;
    assert!(matches!(refund, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn void_releases_an_uncaptured_authorization_only() {
    let terminal = SimulatedTerminal::new();
    let held = authorized(&terminal, 2000).await;
    terminal.void(&held.provider_ref).await.unwrap();
    terminal.void(&held.provider_ref).await.unwrap();
    let capture = terminal.capture(&held.provider_ref, 2000).await;
    assert!(matches!(capture, Err(ProviderError::Invalid(_))));
    let status = terminal.status(held.reference).await.unwrap().unwrap();
    assert_eq!(status.state, TerminalPaymentState::Voided);
    assert_eq!(status.captured_amount, 0);

    let taken = authorized(&terminal, 2000).await;
    terminal.capture(&taken.provider_ref, 2000).await.unwrap();
    let void = terminal.void(&taken.provider_ref).await;
    assert!(matches!(void, Err(ProviderError::Invalid(_))), "{void:?}");
    let status = terminal.status(taken.reference).await.unwrap().unwrap();
    assert_eq!(status.state, TerminalPaymentState::Captured);
}

#[tokio::test]
async fn amounts_ending_in_51_are_declined_and_stay_declined() {
    let terminal = SimulatedTerminal::new();
    let req = request(1051);
    let declined = terminal.authorize(req.clone()).await;
    match declined {
        Err(ProviderError::Declined { code, .. }) => assert_eq!(code, "insufficient_funds"),
        other => panic!("expected a decline, got {other:?}"),
    }
    // The same reference gives the same answer: a decline is not retried into an approval.
    assert!(matches!(
        terminal.authorize(req.clone()).await,
        Err(ProviderError::Declined { .. })
    ));
    let status = terminal.status(req.reference).await.unwrap().unwrap();
    assert_eq!(
        status.state,
        TerminalPaymentState::Declined {
            code: "insufficient_funds".into()
        }
    );
    assert_eq!(status.authorization, None);
}

#[tokio::test]
async fn timeout_leaves_an_authorization_that_status_and_retry_find() {
    let terminal = SimulatedTerminal::new();
    let req = request(2052);
    assert_eq!(
        terminal.authorize(req.clone()).await,
        Err(ProviderError::Timeout)
    );

    // Recovery: the terminal did charge, and says so.
    let status = terminal.status(req.reference).await.unwrap().unwrap();
    assert_eq!(status.state, TerminalPaymentState::Authorized);
    let found = status.authorization.unwrap();
    assert_eq!(found.approved_amount, 2052);

    // Retrying with the same reference returns that authorization, not a second one.
    let retried = terminal.authorize(req).await.unwrap();
    assert_eq!(retried, found);
    terminal.capture(&found.provider_ref, 2052).await.unwrap();
}

#[tokio::test]
async fn unavailable_charges_nothing() {
    let terminal = SimulatedTerminal::new();
    let req = request(353);
    assert_eq!(
        terminal.authorize(req.clone()).await,
        Err(ProviderError::Unavailable)
    );
    assert_eq!(terminal.status(req.reference).await.unwrap(), None);
}

#[tokio::test]
async fn authorize_is_idempotent_by_reference() {
    let terminal = SimulatedTerminal::new();
    let req = request(1200);
    let first = terminal.authorize(req.clone()).await.unwrap();
    let second = terminal.authorize(req.clone()).await.unwrap();
    assert_eq!(first, second);

    let reused = terminal
        .authorize(AuthorizeRequest {
            amount: 1300,
            ..req
        })
        .await;
    assert!(matches!(reused, Err(ProviderError::Invalid(_))));
}

#[tokio::test]
async fn bad_requests_are_invalid() {
    let terminal = SimulatedTerminal::new();
    for req in [
        request(0),
        request(-100),
        AuthorizeRequest {
            currency: "riyal".into(),
            ..request(100)
        },
    ] {
        let result = terminal.authorize(req).await;
        assert!(
            matches!(result, Err(ProviderError::Invalid(_))),
            "{result:?}"
        );
    }
    let unknown = terminal.capture("simterm_nope", 100).await;
    assert!(matches!(unknown, Err(ProviderError::Invalid(_))));
    assert_eq!(terminal.status(Uuid::now_v7()).await.unwrap(), None);
}
