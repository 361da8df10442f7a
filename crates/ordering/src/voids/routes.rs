//! HTTP route of voiding a line.

use std::sync::Arc;

use axum::{Extension, Json, extract::State};
use platform::{
    AppState,
    auth::{Auth, policy},
    error::{Problem, Result},
    http::{ApiPath, ValidJson},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::VoidLineRequest;
use crate::orders::{model::OrderDto, tenders::Tenders};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(void_line))
}

/// Takes a whole line off an order after it was sent, with a reason (and a manager's PIN when
/// the line comes to more than the approval threshold). The order is priced again without it,
/// the books follow, and the kitchen's tickets strike the line's items through.
#[utoipa::path(post, path = "/api/orders/{id}/lines/{lineId}/void", tag = "orders",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("lineId" = Uuid, Path)),
    request_body = VoidLineRequest,
    responses((status = 200, body = OrderDto), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem, description = "too many manager PIN attempts")))]
pub async fn void_line(
    State(state): State<AppState>,
    Extension(tenders): Extension<Arc<dyn Tenders>>,
    auth: Auth<policy::Staff>,
    ApiPath((id, line_id)): ApiPath<(Uuid, Uuid)>,
    ValidJson(req): ValidJson<VoidLineRequest>,
) -> Result<Json<OrderDto>> {
    Ok(Json(
        super::void_line(&state, &*tenders, &auth, id, line_id, &req).await?,
    ))
}
