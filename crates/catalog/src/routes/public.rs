//! What anyone may read without signing in: a brand and its open branches, a branch's menu
//! (cacheable by browsers and CDNs), menu search, images, and the price of a selection.

use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use garde::Validate;
use platform::{
    AppState,
    db::TenantScope,
    error::{Error, Problem, Result},
    http::{ApiPath, ApiQuery, ValidJson},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    cache, media,
    menu::{BranchMenu, Selection, UnitPrice},
    repo::{self, PublicBranch},
};

/// Guests may see a change a minute late from a CDN or browser cache; revalidation with
/// `If-None-Match` is cheap (304 without a body).
const MENU_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=300";

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Brand {
    pub slug: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub currency: String,
    pub default_locale: String,
    pub branches: Vec<PublicBranch>,
}

/// A brand and its open branches (public).
#[utoipa::path(get, path = "/api/brands/{slug}", tag = "menu",
    params(("slug" = String, Path)),
    responses((status = 200, body = Brand), (status = 404, body = Problem)))]
pub async fn brand(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<Brand>> {
    let mut tx = state.db.begin_anonymous().await?;
    let info = repo::brand_by_slug(&mut tx, &slug)
        .await?
        .ok_or(Error::NotFound)?;
    platform::db::set_scope(&mut tx, TenantScope::tenant(info.id)).await?;
    let branches = repo::open_branches(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(Brand {
        slug,
        name: info.name,
        name_ar: info.name_ar,
        currency: info.currency,
        default_locale: info.default_locale,
        branches,
    }))
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
        })
}

/// The branch's full menu (public): menus with their day-parts and whether each is served
/// now, categories, items with branch prices, calories, allergens and 86 state, modifier
/// groups and combos. Strong `ETag`; `If-None-Match` → 304.
#[utoipa::path(get, path = "/api/branches/{branch_id}/menu", tag = "menu",
    params(("branch_id" = Uuid, Path)),
    responses((status = 200, body = BranchMenu), (status = 304), (status = 404, body = Problem)))]
pub async fn menu(
    State(state): State<AppState>,
    ApiPath(branch_id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response> {
    let served = cache::menu(&state, branch_id).await?;
    let etag = HeaderValue::from_str(&served.etag).map_err(anyhow::Error::from)?;
    let cache_control = HeaderValue::from_static(MENU_CACHE_CONTROL);
    if not_modified(&headers, &served.etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache_control),
        ],
        Body::from(served.body.clone()),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What the guest typed, in English, Arabic or both: at least one letter or digit (the
    /// pattern's `[^\W_]`), no control characters.
    #[param(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\W_][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    q: String,
    /// Language of the highlighted description: `en` (default) or `ar`.
    #[param(pattern = "^(en|ar)$")]
    lang: Option<String>,
    /// At most this many results (1–50, default 20).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub price: i64,
    pub image_url: Option<String>,
    pub calories: Option<i32>,
    pub rank: f32,
    pub highlight: Highlight,
}

/// HTML with matches in `<mark>`; the text itself is escaped.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Highlight {
    pub name: String,
    pub name_ar: Option<String>,
    pub description: Option<String>,
}

/// Splits a query into search terms: letters and digits (Arabic diacritics and tatweel stay
/// with their word, for the database to normalise), everything else separates words.
pub fn terms(q: &str) -> Vec<String> {
    let keep = |c: char| {
        c.is_alphanumeric() || matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
    };
    q.split(|c: char| !keep(c))
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.chars().take(40).collect::<String>().to_lowercase())
        .collect()
}

/// Searches the branch's menu (public): items orderable now, best match first, in English and
/// Arabic, as you type (prefixes) and despite typos.
#[utoipa::path(get, path = "/api/branches/{branch_id}/menu/search", tag = "menu",
    params(("branch_id" = Uuid, Path), SearchQuery),
    responses((status = 200, body = Vec<SearchResult>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchResult>>> {
    let terms = terms(&query.q);
    if terms.is_empty() {
        return Err(Error::invalid("q", "type at least one letter or digit"));
    }
    let lang = match query.lang.as_deref() {
        None | Some("en") => "en",
        Some("ar") => "ar",
        Some(_) => return Err(Error::invalid("lang", "must be en or ar")),
    };
    let limit = query.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(Error::invalid("limit", "must be 1 to 50"));
    }
    // One call does the search; a branch whose cached menu is missing or out of date has it
    // built (as a menu read would) and is asked again.
    let rows = match repo::search(&state.db, branch_id, &terms, lang, limit).await? {
        repo::Search::Found(rows) => rows,
        repo::Search::Missing => return Err(Error::NotFound),
        repo::Search::Stale => {
            cache::menu(&state, branch_id).await?;
            match repo::search(&state.db, branch_id, &terms, lang, limit).await? {
                repo::Search::Found(rows) => rows,
                repo::Search::Missing => return Err(Error::NotFound),
                // Changed again in between: the next search will find it built.
                repo::Search::Stale => vec![],
            }
        }
    };
    Ok(Json(
        rows.into_iter()
            .map(|r| SearchResult {
                id: r.id,
                name: r.name,
                name_ar: r.name_ar,
                price: r.price,
                image_url: r.image.as_deref().map(media::url),
                calories: r.calories,
                rank: r.rank,
                highlight: Highlight {
                    name: r.name_html,
                    name_ar: r.name_ar_html,
                    description: r.description_html,
                },
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaRef {
    pub sha256: String,
    pub url: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
}

/// An image (public). Named by its content, so it never changes: cached for a year.
#[utoipa::path(get, path = "/api/media/{sha256}", tag = "menu",
    params(("sha256" = String, Path)),
    responses((status = 200, content_type = "image/png"), (status = 304), (status = 404, body = Problem)))]
pub async fn image(
    State(state): State<AppState>,
    ApiPath(sha256): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response> {
    if !media::is_sha256(&sha256) {
        return Err(Error::NotFound);
    }
    let etag = format!("\"{sha256}\"");
    let cache_control = HeaderValue::from_static("public, max-age=31536000, immutable");
    let etag_value = HeaderValue::from_str(&etag).map_err(anyhow::Error::from)?;
    if not_modified(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag_value),
                (header::CACHE_CONTROL, cache_control),
            ],
        )
            .into_response());
    }
    let mut tx = state.db.begin_anonymous().await?;
    let (content_type, bytes) = repo::public_media(&mut tx, &sha256)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&content_type).map_err(anyhow::Error::from)?,
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache_control),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceRequest {
    /// An item or combo of the branch's menu.
    #[garde(skip)]
    pub product_id: Uuid,
    #[serde(default, flatten)]
    #[garde(dive)]
    pub selection: Selection,
}

/// Checks a selection against the branch's menu as it is now and prices one unit (public):
/// what a cart does before adding a line. An impossible selection → 422 saying why.
#[utoipa::path(post, path = "/api/branches/{branch_id}/menu/price", tag = "menu",
    params(("branch_id" = Uuid, Path)), request_body = PriceRequest,
    responses((status = 200, body = UnitPrice), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 415, body = Problem),
              (status = 422, body = Problem, description = "the selection cannot be ordered, or a list is too long")))]
pub async fn price(
    State(state): State<AppState>,
    ApiPath(branch_id): ApiPath<Uuid>,
    ValidJson(request): ValidJson<PriceRequest>,
) -> Result<Json<UnitPrice>> {
    let (menu, _) = cache::parsed_menu(&state, branch_id).await?;
    menu.price(request.product_id, &request.selection)
        .map(Json)
        .map_err(|e| Error::invalid("selection", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::terms;

    #[test]
    fn terms_split_on_anything_but_letters_and_digits() {
        assert_eq!(
            terms("  Chicken-burger!! 2 "),
            vec!["chicken", "burger", "2"]
        );
        assert_eq!(terms("شاورما  دجاج"), vec!["شاورما", "دجاج"]);
        // Diacritics stay inside the word (the database strips them).
        assert_eq!(terms("شَاوَرْمَا"), vec!["شَاوَرْمَا"]);
        assert_eq!(terms("a:* & !b | (c)"), vec!["a", "b", "c"]);
        assert!(terms("  -- ").is_empty());
    }
}
