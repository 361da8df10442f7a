//! What the queue API takes and gives.

use chrono::{DateTime, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /api/branches/{branchId}/queue`: a walk-in party joins the waitlist.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewParty {
    #[garde(length(chars, min = 1, max = 80))]
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    #[garde(range(min = 1, max = 50))]
    #[schema(minimum = 1, maximum = 50)]
    pub party_size: i32,
    /// To call or text the party when their table is ready.
    #[garde(inner(pattern(r"^\+?[0-9][0-9 ]{5,19}$")))]
    #[schema(pattern = r"^\+?[0-9][0-9 ]{5,19}$")]
    pub phone: Option<String>,
}

/// `POST /api/branches/{branchId}/queue/pickup`: a pickup order joins the pickup line.
#[derive(Clone, Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPickup {
    #[garde(skip)]
    pub order_id: Uuid,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryDto {
    pub id: Uuid,
    pub branch_id: Uuid,
    /// `party` or `pickup`.
    pub kind: String,
    pub name: String,
    /// People in the party, or items in the pickup order.
    pub size: i32,
    pub phone: Option<String>,
    pub order_id: Option<Uuid>,
    /// `waiting`, `seated`, `done`, `removed` or `no_show`.
    pub status: String,
    /// Place in its line (1 = next); while waiting only.
    pub position: Option<i32>,
    /// Learnt from the branch's recent served entries; while waiting only.
    pub estimated_wait_minutes: Option<i32>,
    pub joined_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A party added by the host: the entry, and a guest session the party follows it with (shown
/// as a link or QR code); none when the guest added themselves.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    pub entry: EntryDto,
    #[schema(value_type = Option<Object>)]
    pub session: Option<identity::model::TokenPair>,
}
