//! HTTP routes of the identity context. Handlers stay thin: parse, open a scoped transaction,
//! call the repository, commit, answer.

mod auth;
mod branches;
mod devices;
mod staff;

pub(crate) use staff::{create_member, new_pin};
mod tenants;

use platform::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenants::sign_up))
        .routes(routes!(tenants::set_tax))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(crate::pins::routes::pin_login))
        .routes(routes!(crate::pins::routes::tiles))
        .routes(routes!(auth::customer_sign_up))
        .routes(routes!(auth::guest_session))
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
}
