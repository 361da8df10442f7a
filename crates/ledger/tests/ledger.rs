//! The database keeps the books: an entry that does not balance cannot commit, and nothing
//! posted can be changed or removed, by the application or the owner.

use ledger::{self, Account, NewEntry, credit, debit};
use platform::{
    db::{Db, TenantScope},
    testing::TestDb,
};
use uuid::Uuid;

async fn brand(db: &TestDb) -> (Uuid, Uuid) {
    let (tenant, branch) = (Uuid::now_v7(), Uuid::now_v7());
    let mut conn = db.owner_conn().await;
    sqlx::query("insert into tenants (id, slug, name) values ($1, $2, 'T')")
        .bind(tenant)
        .bind(format!("t-{}", &tenant.simple().to_string()[20..]))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "insert into branches (id, tenant_id, name, time_zone) values ($1, $2, 'B', 'Asia/Riyadh')",
    )
    .bind(branch)
    .bind(tenant)
    .execute(&mut conn)
    .await
    .unwrap();
    (tenant, branch)
}

fn entry(tenant: Uuid, branch: Uuid, postings: Vec<ledger::Posting>) -> NewEntry<'static> {
    NewEntry {
        tenant_id: tenant,
        branch_id: branch,
        kind: "sale",
        reference_type: "order",
        reference_id: Uuid::now_v7(),
        memo: None,
        created_by: None,
        currency: "SAR",
        postings,
    }
}

#[tokio::test]
async fn balanced_entries_post_and_the_books_sum_to_zero() {
    let db = TestDb::new().await;
    let app = Db::connect_with(db.app_options(), 2).await.unwrap();
    let (tenant, branch) = brand(&db).await;
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    ledger::post(
        &mut tx,
        entry(
            tenant,
            branch,
            vec![
                debit(Account::Receivable, 2300),
                credit(Account::SalesRevenue, 2300),
                debit(Account::SalesRevenue, 300),
                credit(Account::VatPayable, 300),
            ],
        ),
    )
    .await
    .unwrap();
    ledger::post(
        &mut tx,
        entry(
            tenant,
            branch,
            vec![
                debit(Account::CashDrawer, 2300),
                credit(Account::Receivable, 2300),
            ],
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    assert_eq!(ledger::trial_balance(&mut tx, "SAR").await.unwrap(), 0);
    assert_eq!(
        ledger::balance(&mut tx, Account::CashDrawer, Some(branch), "SAR")
            .await
            .unwrap(),
        2300
    );
    assert_eq!(
        ledger::balance(&mut tx, Account::Receivable, None, "SAR")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        ledger::balance(&mut tx, Account::VatPayable, None, "SAR")
            .await
            .unwrap(),
        -300
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_unbalanced_entry_cannot_be_written() {
    let db = TestDb::new().await;
    let app = Db::connect_with(db.app_options(), 2).await.unwrap();
    let (tenant, branch) = brand(&db).await;
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    let id = ledger::post(
        &mut tx,
        entry(
            tenant,
            branch,
            vec![
                debit(Account::CashDrawer, 100),
                credit(Account::Receivable, 100),
            ],
        ),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();

    // Bypassing the Rust check: the app role cannot write journal rows itself…
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    let err = sqlx::query(
        "insert into journal_lines (tenant_id, entry_id, account_id, amount) \
         select tenant_id, entry_id, account_id, 1 from journal_lines where entry_id = $1 limit 1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    drop(tx);
    // Nor change or remove the accounts its lines name (lines carry no foreign key to them),
    // nor remove the brand its entries belong to (entries carry no foreign key to it).
    for sql in [
        "update ledger_accounts set kind = kind",
        "delete from ledger_accounts",
        "delete from tenants",
    ] {
        let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
        let err = sqlx::query(sql).execute(&mut *tx).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }

    // …and the database's own write path refuses a batch with a lopsided entry, one with a
    // single line, a zero line, or an entry for another brand, writing none of it.
    let (other, _) = brand(&db).await;
    let (_, good) = ledger::entry(&entry(
        tenant,
        branch,
        vec![
            debit(Account::CashDrawer, 100),
            credit(Account::Receivable, 100),
        ],
    ))
    .unwrap()
    .unwrap();
    let mut lopsided = good.clone();
    lopsided["postings"][0]["amount"] = 101.into();
    let mut single = good.clone();
    single["postings"].as_array_mut().unwrap().truncate(1);
    single["postings"][0]["amount"] = 0.into();
    let mut zero = good.clone();
    zero["postings"][0]["amount"] = 0.into();
    zero["postings"][1]["amount"] = 0.into();
    let mut foreign = good.clone();
    foreign["tenantId"] = other.to_string().into();
    let mut no_currency = good.clone();
    no_currency.as_object_mut().unwrap().remove("currency");
    for (bad, says) in [
        (no_currency, "has no currency"),
        (lopsided, "does not balance"),
        (single, "does not balance"),
        (zero, "does not balance"),
        (foreign, "current tenant only"),
    ] {
        let mut bad = bad;
        bad["id"] = Uuid::now_v7().to_string().into();
        let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
        let err = sqlx::query("select ledger_post($1)")
            .bind(serde_json::json!([good, bad]))
            .execute(&mut *tx)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(says), "{bad}: {err}");
    }
    let mut owner = db.owner_conn().await;
    let entries: i64 = sqlx::query_scalar("select count(*) from journal_entries")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(entries, 1, "only the first balanced entry was kept");
}

#[tokio::test]
async fn each_currency_has_its_own_accounts_and_balances_on_its_own() {
    let db = TestDb::new().await;
    let app = Db::connect_with(db.app_options(), 2).await.unwrap();
    let (tenant, branch) = brand(&db).await;
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    for (currency, amount) in [("SAR", 2300), ("AED", 500)] {
        ledger::post(
            &mut tx,
            NewEntry {
                currency,
                ..entry(
                    tenant,
                    branch,
                    vec![
                        debit(Account::CashDrawer, amount),
                        credit(Account::SalesRevenue, amount),
                    ],
                )
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    assert_eq!(ledger::currencies(&mut tx).await.unwrap(), ["AED", "SAR"]);
    for (currency, amount) in [("SAR", 2300), ("AED", 500)] {
        assert_eq!(ledger::trial_balance(&mut tx, currency).await.unwrap(), 0);
        assert_eq!(
            ledger::balance(&mut tx, Account::CashDrawer, Some(branch), currency)
                .await
                .unwrap(),
            amount
        );
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_journal_is_append_only_even_for_the_owner() {
    let db = TestDb::new().await;
    let app = Db::connect_with(db.app_options(), 2).await.unwrap();
    let (tenant, branch) = brand(&db).await;
    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    ledger::post(
        &mut tx,
        entry(
            tenant,
            branch,
            vec![
                debit(Account::CashDrawer, 100),
                credit(Account::Receivable, 100),
            ],
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = app.begin(TenantScope::tenant(tenant)).await.unwrap();
    let denied = sqlx::query("update journal_lines set amount = amount * 2")
        .execute(&mut *tx)
        .await;
    assert!(
        denied.is_err(),
        "the application cannot rewrite the journal"
    );
    drop(tx);
    let mut owner = db.owner_conn().await;
    for sql in [
        "update journal_lines set amount = amount * 2",
        "delete from journal_lines",
        "delete from journal_entries",
    ] {
        let err = sqlx::query(sql).execute(&mut owner).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}
