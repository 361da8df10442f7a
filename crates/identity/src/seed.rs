//! The demo brand that `make run` seeds into an empty database; its logins are listed in the
//! README. Other contexts extend it (menu, tables, stock) through their own seed functions.

use platform::{AppState, auth::Role, db::TenantScope, error::Result};
use uuid::Uuid;

use crate::{
    model::{AddStaff, BranchInput},
    repo,
    routes::create_member,
};

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_PASSWORD: &str = "sous-demo-2026";

/// Staff logins: `<role>@demo.sous.test`, PIN in this order 1111 … 6666.
pub const DEMO_STAFF: [(Role, &str); 6] = [
    (Role::Owner, "1111"),
    (Role::Manager, "2222"),
    (Role::Cashier, "3333"),
    (Role::Waiter, "4444"),
    (Role::Kitchen, "5555"),
    (Role::Driver, "6666"),
];
/// The demo customer: an account of the demo brand, so its sign-in names `tenant: "demo"`.
pub const DEMO_CUSTOMER: &str = "guest@demo.sous.test";
/// The second demo driver, at the Dubai branch (the first, `driver@…`, is at Riyadh's).
pub const DEMO_DUBAI_DRIVER: (&str, &str) = ("driver.dubai@demo.sous.test", "7777");

pub fn demo_email(role: Role) -> String {
    format!("{}@demo.sous.test", role.as_str())
}

/// What the seed created (or found).
/// A well-formed Saudi VAT number (15 digits, 3…3) that belongs to no one.
pub const DEMO_VAT_NUMBER: &str = "300000000000003";

pub struct Demo {
    pub tenant_id: Uuid,
    pub riyadh: Uuid,
    pub dubai: Uuid,
}

fn branch(
    name: &str,
    name_ar: &str,
    address: &str,
    address_ar: &str,
    tz: &str,
    lat: f64,
    lng: f64,
) -> BranchInput {
    let day = serde_json::json!([["08:00", "23:59"]]);
    BranchInput {
        name: name.into(),
        name_ar: Some(name_ar.into()),
        address: Some(address.into()),
        address_ar: Some(address_ar.into()),
        time_zone: tz.into(),
        lat: Some(lat),
        lng: Some(lng),
        opening_hours: serde_json::json!({
            "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day
        }),
        status: "open".into(),
    }
}

/// Seeds the demo brand unless a brand with its slug exists. Returns `None` when it existed.
pub async fn run(state: &AppState) -> Result<Option<Demo>> {
    let mut tx = state.db.begin_anonymous().await?;
    let existing = repo::tenant_id_by_slug(&mut tx, DEMO_SLUG).await?;
    tx.commit().await?;
    if existing.is_some() {
        return Ok(None);
    }
    let tenant_id = Uuid::now_v7();
    let mut tx = state.db.begin(TenantScope::tenant(tenant_id)).await?;
    repo::insert_tenant(
        &mut tx,
        &repo::NewTenant {
            id: tenant_id,
            slug: DEMO_SLUG,
            name: "Sous Demo Kitchen",
            name_ar: Some("مطبخ سو التجريبي"),
            currency: "SAR",
            vat_rate_bp: 1500,
            vat_inclusive: true,
            default_locale: "en",
        },
    )
    .await?;
    repo::set_vat_number(&mut tx, tenant_id, Some(DEMO_VAT_NUMBER)).await?;
    let riyadh = repo::insert_branch(
        &mut tx,
        tenant_id,
        Uuid::now_v7(),
        &branch(
            "Riyadh — Olaya",
            "الرياض — العليا",
            "Olaya St, Riyadh",
            "شارع العليا، الرياض",
            "Asia/Riyadh",
            24.6905,
            46.6855,
        ),
    )
    .await?
    .id;
    let dubai = repo::insert_branch(
        &mut tx,
        tenant_id,
        Uuid::now_v7(),
        &branch(
            "Dubai — Marina",
            "دبي — المارينا",
            "Marina Walk, Dubai",
            "ممشى المارينا، دبي",
            "Asia/Dubai",
            25.0805,
            55.1403,
        ),
    )
    .await?
    .id;
    for (role, pin) in DEMO_STAFF {
        let name = role.as_str();
        let req = AddStaff {
            email: demo_email(role),
            password: DEMO_PASSWORD.into(),
            display_name: format!("Demo {}{}", name[..1].to_uppercase(), &name[1..]),
            role,
            branch_id: (role != Role::Owner).then_some(riyadh),
            pin: Some(pin.into()),
        };
        create_member(&mut tx, state, tenant_id, &req).await?;
    }
    let dubai_driver = AddStaff {
        email: DEMO_DUBAI_DRIVER.0.into(),
        password: DEMO_PASSWORD.into(),
        display_name: "Demo Driver Dubai".into(),
        role: Role::Driver,
        branch_id: Some(dubai),
        pin: Some(DEMO_DUBAI_DRIVER.1.into()),
    };
    create_member(&mut tx, state, tenant_id, &dubai_driver).await?;
    crate::customers::create(
        &mut tx,
        state,
        tenant_id,
        DEMO_CUSTOMER,
        DEMO_PASSWORD,
        "Demo Guest",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(slug = DEMO_SLUG, "seeded the demo brand");
    Ok(Some(Demo {
        tenant_id,
        riyadh,
        dubai,
    }))
}
