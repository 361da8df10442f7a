//! HTTP routes of the identity context. Handlers stay thin: parse, open a scoped transaction,
//! call the repository, commit, answer.

mod auth;
mod branches;
pub mod cookie;
mod devices;
mod staff;

pub(crate) use staff::create_member;
mod tenants;

use platform::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    // The routes that hand out or take a refresh token can carry it as a cookie instead.
    let mut tokens = OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(crate::pins::routes::pin_login))
        .routes(routes!(crate::pins::routes::tiles))
        .routes(routes!(crate::customers::routes::customer_sign_up))
        .routes(routes!(auth::guest_session))
        .layer(axum::middleware::from_fn(cookie::transport));
    cookie::document(tokens.get_openapi_mut());
    OpenApiRouter::new()
        .routes(routes!(tenants::sign_up))
        .routes(routes!(tenants::set_tax))
        .merge(tokens)
        .routes(routes!(auth::me))
        .routes(routes!(branches::list, branches::create))
        .routes(routes!(branches::get, branches::update))
        .routes(routes!(devices::register, devices::list))
        .routes(routes!(devices::revoke))
        .routes(routes!(staff::add, staff::list))
        .routes(routes!(crate::offboarding::update))
        .routes(routes!(crate::offboarding::disable))
        .routes(routes!(crate::offboarding::enable))
        .routes(routes!(crate::offboarding::reset_pin))
        .routes(routes!(crate::offboarding::reset_password))
        .merge(crate::time_clock::routes::router())
}
