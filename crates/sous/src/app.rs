//! Composition: every context's router merged under `/api`, the OpenAPI document generated from
//! their annotations, health and docs.

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{Html, IntoResponse},
    routing::get,
};
use platform::AppState;
use serde::Serialize;
use tower_http::services::ServeDir;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "sous API", description = "Restaurant platform API: identity, catalog, and more as contexts arrive."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
    pub version: &'static str,
}

/// Liveness and database check. The database is probed at most once per second: load
/// balancers and monitors poll this endpoint hard, and it must not turn into database load.
#[utoipa::path(get, path = "/api/health", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db_ok = state.health.database_ok(&state.db.pool).await;
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if db_ok { "ok" } else { "degraded" },
            database: if db_ok { "ok" } else { "unreachable" },
            version: env!("CARGO_PKG_VERSION"),
        }),
    )
}

/// The API router and its OpenAPI document, serialised.
pub fn api() -> (Router<AppState>, serde_json::Value) {
    let (router, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(platform::sse::ticket))
        .routes(routes!(platform::sse::stream))
        .routes(routes!(platform::queue::admin::stats))
        .routes(routes!(platform::queue::admin::failed))
        .routes(routes!(platform::queue::admin::retry))
        .routes(routes!(platform::queue::admin::discard))
        .merge(identity::router())
        .merge(catalog::router())
        .merge(ordering::router(payments::tenders()))
        .merge(payments::router())
        .merge(fulfillment::router())
        .split_for_parts();
    // After the split: only then are the routers' operations in the document.
    crate::openapi::add_error_responses(&mut spec);
    let mut doc = serde_json::to_value(&spec).expect("the OpenAPI document serialises");
    crate::openapi::close_flattened(&mut doc);
    crate::openapi::describe_text(&mut doc);
    (router, doc)
}

const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sous API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="ui"><p style="font-family:sans-serif;padding:1rem">The interactive reference needs
the web assets (<code>npm ci --prefix web</code>); the spec itself is at
<a href="/api/openapi.json">/api/openapi.json</a>.</p></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>"##;

/// The reference page's start-up, a file rather than an inline script so the page's
/// Content-Security-Policy needs no exception for it.
const DOCS_INIT_JS: &str = r##"if (window.SwaggerUIBundle) SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#ui" });"##;

/// The whole HTTP app without the web app: API, spec, docs UI, shared middleware.
pub fn build(state: AppState) -> Router {
    build_with_web(
        state,
        crate::web::Web::Absent {
            code: "web_app_disabled",
            why: "This process serves the API only.".into(),
        },
    )
}

/// The whole HTTP app: `/api` as [`build`], every other path forwarded to the web app.
pub fn build_with_web(state: AppState, web: crate::web::Web) -> Router {
    let (api, spec) = api();
    let spec_json = serde_json::to_string(&spec).expect("openapi serialises");
    let assets = state.settings.web_dir.join("node_modules/swagger-ui-dist");
    let router = api
        .route(
            "/api/openapi.json",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/json")], spec_json).into_response()
            }),
        )
        .route("/api/docs", get(|| async { Html(DOCS_HTML) }))
        .route(
            "/api/docs/init.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], DOCS_INIT_JS) }),
        )
        .nest_service("/api/docs/assets", ServeDir::new(assets))
        .with_state(state);
    platform::http::with_middleware(router)
        .layer(axum::middleware::from_fn_with_state(
            web,
            crate::web::dispatch,
        ))
        .layer(axum::middleware::from_fn(crate::security_headers::add))
}
