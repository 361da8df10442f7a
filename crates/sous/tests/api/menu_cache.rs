//! The menu cache: fresh within a second of a change on any instance, rebuilt by the queue
//! without a reader, ETags that change exactly when the content does, and an emptied table
//! (what a crash does to an UNLOGGED table) rebuilt by the next read.

use std::time::Duration;

use platform::{AppState, db::Db};
use reqwest::Method;
use serde_json::json;
use sqlx::Connection;
use tokio::time::Instant;

use crate::helpers::{TestApp, find_item, id_of, menu, settings, spawn_app};

/// A second `sous` instance on the same database, with its own memory cache and event
/// listener; returns its base URL.
async fn second_instance(app: &TestApp) -> String {
    let pool = Db::connect_with(app.db.app_options(), 3).await.unwrap();
    let state = AppState::new(pool, settings()).unwrap();
    crate::helpers::serve(&state, app.db.owner_options()).await
}

async fn etag_of(app: &TestApp, base: &str, branch: uuid::Uuid) -> (String, serde_json::Value) {
    let res = app
        .client
        .get(format!("{base}/api/branches/{branch}/menu"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    (etag, res.json().await.unwrap())
}

#[tokio::test]
async fn a_price_change_on_one_instance_shows_on_another_within_a_second() {
    let app = spawn_app().await;
    let other = second_instance(&app).await;
    let riyadh = app.demo.riyadh;
    let owner = app.owner().await;
    // Both instances have the menu in memory.
    let (_, before) = etag_of(&app, &other, riyadh).await;
    menu(&app, riyadh).await;
    let burger = find_item(&before, "Chicken Burger").unwrap().clone();
    assert_eq!(burger["price"], 2800);

    let started = Instant::now();
    app.call(
        Method::PUT,
        &format!(
            "/api/branches/{riyadh}/catalog/items/{}",
            burger["id"].as_str().unwrap()
        ),
        Some(&owner),
        Some(json!({ "price": 2500 })),
    )
    .await
    .expect(200);
    // This instance answers with the new price at once (read-your-writes)…
    assert_eq!(
        find_item(&menu(&app, riyadh).await, "Chicken Burger").unwrap()["price"],
        2500
    );
    // …and the other one once the change's event reaches it.
    loop {
        let (_, now) = etag_of(&app, &other, riyadh).await;
        if find_item(&now, "Chicken Burger").unwrap()["price"] == 2500 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not visible within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_queue_rebuilds_changed_menus_without_a_reader() {
    let app = spawn_app().await;
    let worker = app.start_worker().await;

    let owner = app.owner().await;
    let m = menu(&app, app.demo.dubai).await;
    let karak = find_item(&m, "Karak Tea").unwrap();
    let mut body = json!({
        "categoryId": null, "name": "Karak Tea", "nameAr": karak["nameAr"], "price": 444,
        "sku": karak["sku"], "calories": karak["calories"]
    });
    let catalog = app.get("/api/catalog", &owner).await.expect(200);
    body["categoryId"] = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["name"] == "Karak Tea")
        })
        .unwrap()["key"]
        .clone();
    let started = Instant::now();
    app.call(
        Method::PUT,
        &format!("/api/catalog/items/{}", id_of(karak)),
        Some(&owner),
        Some(body),
    )
    .await
    .expect(204);
    // Every branch's cached row is rebuilt by the worker, no GET involved: both at the new
    // version, Riyadh with the new price (Dubai keeps its own AED price).
    let mut conn = app.db.owner_conn().await;
    loop {
        let (fresh, repriced): (i64, i64) = sqlx::query_as(
            "select count(*), count(*) filter (where c.body like '%\"price\":444%') \
             from menu_cache c join catalog_state s using (tenant_id) \
             where c.tenant_id = $1 and c.version = s.version",
        )
        .bind(app.demo.tenant_id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if (fresh, repriced) == (2, 1) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "rebuilt within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.stop().await;
}

#[tokio::test]
async fn the_etag_changes_exactly_when_the_menu_does() {
    let app = spawn_app().await;
    let (riyadh, base) = (app.demo.riyadh, app.base.clone());
    let owner = app.owner().await;
    let (first, m) = etag_of(&app, &base, riyadh).await;
    let (again, _) = etag_of(&app, &base, riyadh).await;
    assert_eq!(first, again);
    let res = app
        .client
        .get(format!("{base}/api/branches/{riyadh}/menu"))
        .header("if-none-match", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("public")
    );

    // A change that leaves this branch's menu as it was (Dubai's price) keeps Riyadh's ETag…
    let burger = find_item(&m, "Chicken Burger").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        Method::PUT,
        &format!("/api/branches/{}/catalog/items/{burger}", app.demo.dubai),
        Some(&owner),
        Some(json!({ "price": 1234 })),
    )
    .await
    .expect(200);
    assert_eq!(etag_of(&app, &base, riyadh).await.0, first);
    // …one that changes it gives a new one, and the old tag no longer matches.
    app.call(
        Method::PUT,
        &format!("/api/branches/{riyadh}/catalog/items/{burger}"),
        Some(&owner),
        Some(json!({ "price": 1234 })),
    )
    .await
    .expect(200);
    let (changed, _) = etag_of(&app, &base, riyadh).await;
    assert_ne!(changed, first);
    let res = app
        .client
        .get(format!("{base}/api/branches/{riyadh}/menu"))
        .header("if-none-match", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_emptied_cache_table_is_rebuilt_by_the_next_read() {
    let app = spawn_app().await;
    let riyadh = app.demo.riyadh;
    let (etag, before) = etag_of(&app, &app.base, riyadh).await;
    // What crash recovery does to an UNLOGGED table, and a restarted process's empty memory.
    let mut conn = app.db.owner_conn().await;
    sqlx::query("truncate menu_cache")
        .execute(&mut conn)
        .await
        .unwrap();
    app.state.public_cache.clear();
    let (after_etag, after) = etag_of(&app, &app.base, riyadh).await;
    assert_eq!(after_etag, etag);
    assert_eq!(after, before);
    let rows: i64 = sqlx::query_scalar("select count(*) from menu_cache where branch_id = $1")
        .bind(riyadh)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn the_periodic_job_queues_one_rebuild_per_branch() {
    let app = spawn_app().await;
    let mut conn = app.db.owner_conn().await;
    for _ in 0..2 {
        sqlx::query("call sous_refresh_menu_cache()")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let queued: Vec<String> = sqlx::query_scalar(
        "select payload->>'branchId' from task_queue \
         where kind = 'catalog.rebuild_menu' and status = 'pending' and tenant_id = $1 order by 1",
    )
    .bind(app.demo.tenant_id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut expected = vec![app.demo.riyadh.to_string(), app.demo.dubai.to_string()];
    expected.sort();
    assert_eq!(
        queued, expected,
        "one per branch, however often the job runs"
    );
}

/// A real crash: PostgreSQL killed with SIGKILL resets every UNLOGGED table at recovery; the
/// first read after the restart builds the same menu again.
#[tokio::test]
async fn after_a_database_crash_the_first_read_rebuilds_the_menu() {
    use nix::{
        sys::signal::{Signal, kill},
        unistd::Pid,
    };
    use platform::embedded_pg::{DATABASE, EmbeddedPg};
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::Builder::new()
        .prefix("sous-crash-test")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pg_dir = dir.path().join("pg");
    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    let url = pg.url(DATABASE);
    platform::db::migrate(&url).await.unwrap();
    let state = AppState::new(Db::connect(&url, None, 2).await.unwrap(), settings()).unwrap();
    let demo = identity::seed::run(&state).await.unwrap().unwrap();
    catalog::seed::run(&state, demo.tenant_id, demo.dubai)
        .await
        .unwrap();
    let before = catalog::cache::menu(&state, demo.riyadh).await.unwrap();
    state.db.pool.close().await;

    let pid = pg.pid().unwrap();
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
    while platform::embedded_pg::pid_alive(Pid::from_raw(pid as i32)) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(pg);

    let pg = EmbeddedPg::start(&pg_dir).await.unwrap();
    let mut owner = sqlx::PgConnection::connect(&url).await.unwrap();
    let cached: i64 = sqlx::query_scalar("select count(*) from menu_cache")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(cached, 0, "crash recovery empties the UNLOGGED table");
    // A restarted process: fresh memory, same database.
    let state = AppState::new(Db::connect(&url, None, 2).await.unwrap(), settings()).unwrap();
    let after = catalog::cache::menu(&state, demo.riyadh).await.unwrap();
    assert_eq!(after.etag, before.etag);
    assert_eq!(after.body, before.body);
    let cached: i64 = sqlx::query_scalar("select count(*) from menu_cache")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(cached, 1);
    drop(owner);
    state.db.pool.close().await;
    pg.stop().await.unwrap();
}
