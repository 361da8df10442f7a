//! Request and response types of the identity API, validated with `garde`.

use chrono::{DateTime, Utc};
use garde::Validate;
use platform::auth::{PrincipalKind, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignUpTenant {
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(pattern(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"))]
    #[schema(pattern = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    pub slug: String,
    #[garde(email, length(chars, max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub owner_email: String,
    #[garde(length(chars, min = 10, max = 200))]
    #[schema(min_length = 10, max_length = 200)]
    pub owner_password: String,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[serde(default)]
    pub owner_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantCreated {
    pub tenant: TenantDto,
    pub owner_id: Uuid,
    pub tokens: TokenPair,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct TenantDto {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub currency: String,
    pub vat_rate_bp: i32,
    pub vat_inclusive: bool,
    pub default_locale: String,
}

/// A brand's tax settings.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaxSettings {
    /// VAT registration number (Saudi: 15 digits, starting and ending with 3); null removes it.
    #[garde(inner(pattern(r"^[0-9A-Z]{5,20}$")))]
    #[schema(pattern = r"^[0-9A-Z]{5,20}$")]
    pub vat_number: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Login {
    #[garde(length(chars, min = 3, max = 254))]
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub password: String,
    /// The brand's slug, for someone who belongs to several brands.
    #[garde(inner(pattern(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")))]
    #[schema(pattern = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    #[serde(default)]
    pub tenant: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    /// Absent when the request asked for it as a cookie (`X-Sous-Session`).
    #[schema(required = false)]
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    /// May be left out with `X-Sous-Session`: the session's cookie carries it. Left out
    /// otherwise, refresh answers 401 and logout has nothing to end.
    #[garde(inner(length(chars, min = 10, max = 200)))]
    #[schema(min_length = 10, max_length = 200)]
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PinLogin {
    /// The staff member picked on the device's tile screen.
    #[garde(skip)]
    pub user_id: Uuid,
    /// 4 to 8 digits.
    #[garde(pattern(r"^[0-9]{4,8}$"))]
    #[schema(pattern = "^[0-9]{4,8}$")]
    pub pin: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerSignUp {
    #[garde(pattern(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"))]
    #[schema(pattern = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    pub tenant: String,
    #[garde(email, length(chars, max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[garde(length(chars, min = 10, max = 200))]
    #[schema(min_length = 10, max_length = 200)]
    pub password: String,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
}

/// `POST /api/auth/guest`: a guest ordering on the brand's website (pickup or delivery). A
/// guest at a table starts their session from the table's QR code instead
/// (`POST /api/tables/{token}/join`), which names the table.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestSessionRequest {
    #[garde(pattern(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"))]
    #[schema(pattern = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    pub tenant: String,
    #[garde(skip)]
    pub branch_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub principal: platform::auth::Principal,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub tenant: TenantDto,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct BranchDto {
    pub id: Uuid,
    pub name: String,
    pub name_ar: Option<String>,
    pub address: Option<String>,
    pub address_ar: Option<String>,
    pub time_zone: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    #[schema(value_type = Object)]
    pub opening_hours: serde_json::Value,
    pub status: String,
    /// ISO 3166-1 alpha-2; the branch's currency, VAT and receipts follow it
    /// (`GET /api/branches/{branchId}/country`).
    pub country: String,
    /// ISO 4217: what the branch's prices and orders are in.
    pub currency: String,
    /// Decimals of the currency (2 for SAR and AED, 3 for BHD, KWD and OMR).
    pub minor_units: i16,
}

fn valid_time_zone(tz: &str, _: &()) -> garde::Result {
    tz.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| garde::Error::new("must be an IANA time zone such as Asia/Riyadh"))
}

fn valid_hours(v: &serde_json::Value, _: &()) -> garde::Result {
    let obj = v
        .as_object()
        .ok_or_else(|| garde::Error::new("must be an object of days"))?;
    for (day, spans) in obj {
        if !platform::schema::WEEKDAYS.contains(&day.as_str()) {
            return Err(garde::Error::new(format!("unknown day `{day}`")));
        }
        let ok = spans.as_array().is_some_and(|a| {
            a.iter().all(|span| {
                span.as_array().is_some_and(|s| {
                    s.len() == 2
                        && s.iter().all(|t| {
                            t.as_str()
                                .is_some_and(|t| platform::schema::parse_hhmm(t).is_some())
                        })
                })
            })
        });
        if !ok {
            return Err(garde::Error::new(format!(
                "`{day}` must be a list of [\"HH:MM\", \"HH:MM\"] spans"
            )));
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BranchInput {
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[garde(inner(length(chars, max = 200)))]
    #[schema(max_length = 200)]
    #[serde(default)]
    pub name_ar: Option<String>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub address: Option<String>,
    #[garde(inner(length(chars, max = 500)))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub address_ar: Option<String>,
    #[garde(custom(valid_time_zone))]
    #[schema(schema_with = platform::schema::time_zone)]
    pub time_zone: String,
    #[garde(inner(range(min = -90.0, max = 90.0)))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    #[serde(default)]
    pub lat: Option<f64>,
    #[garde(inner(range(min = -180.0, max = 180.0)))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    #[serde(default)]
    pub lng: Option<f64>,
    #[garde(custom(valid_hours))]
    #[serde(default = "empty_object")]
    #[schema(schema_with = platform::schema::opening_hours)]
    pub opening_hours: serde_json::Value,
    #[garde(pattern(r"^(open|closed|archived)$"))]
    #[schema(pattern = r"^(open|closed|archived)$")]
    #[serde(default = "open")]
    pub status: String,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

fn open() -> String {
    "open".into()
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterDevice {
    #[garde(pattern(r"^(pos|kds)$"))]
    #[schema(pattern = r"^(pos|kds)$")]
    pub kind: String,
    #[garde(length(chars, min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRegistered {
    pub device: DeviceDto,
    /// The signing secret (base64url). Shown once; store it on the device.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDto {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub kind: String,
    pub name: String,
    /// The device's number at its branch, from 1 in registration order; a till prints offline
    /// orders with it.
    pub number: i32,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The schema of a role given to staff: every staff role but the owner's (the handlers refuse
/// the others with 422 naming `role`).
pub fn staff_role() -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    let roles = [
        Role::Manager,
        Role::Cashier,
        Role::Waiter,
        Role::Kitchen,
        Role::Driver,
    ];
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(roles.map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })))
        .build()
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddStaff {
    #[garde(email, length(chars, max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[garde(length(chars, min = 10, max = 200))]
    #[schema(min_length = 10, max_length = 200)]
    pub password: String,
    #[garde(length(chars, min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    #[garde(skip)]
    #[schema(schema_with = staff_role)]
    pub role: Role,
    #[garde(skip)]
    #[serde(default)]
    pub branch_id: Option<Uuid>,
    /// 4 to 8 digits; left out, a 6-digit PIN is made and answered once.
    #[garde(inner(pattern(r"^[0-9]{4,8}$")))]
    #[schema(pattern = "^[0-9]{4,8}$")]
    #[serde(default)]
    pub pin: Option<String>,
}

/// A staff member just added, with the PIN made for them when none was given (shown once).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffAdded {
    #[serde(flatten)]
    pub staff: StaffDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_pin: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct StaffDto {
    pub membership_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub branch_id: Option<Uuid>,
    pub has_pin: bool,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A principal as the token service needs it.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: PrincipalKind,
    pub role: Role,
    pub branch_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
}

/// The table a session was started at, from its QR code.
#[derive(Clone, Copy, Debug)]
pub struct AtTable<'a> {
    pub id: Uuid,
    pub label: &'a str,
}

/// A live guest session as checkout sees it.
#[derive(Debug, sqlx::FromRow)]
pub struct GuestSession {
    pub branch_id: Uuid,
    /// The table whose QR code started the session, if any, and its label then.
    pub table_id: Option<Uuid>,
    pub table_ref: Option<String>,
}
