//! The authenticated caller and the extractors that admit it. A handler names its policy in its
//! signature (`Auth<policy::Managers>`), so a route cannot forget the role check; branch scope is
//! checked against the resource with [`Principal::require_branch`].

use std::marker::PhantomData;

use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::jwt::Claims;
use crate::{db::TenantScope, error::Error};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    sqlx::Type,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "role", rename_all = "lowercase")]
pub enum Role {
    Owner,
    Manager,
    Cashier,
    Waiter,
    Kitchen,
    Driver,
    Customer,
    Guest,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Owner,
        Role::Manager,
        Role::Cashier,
        Role::Waiter,
        Role::Kitchen,
        Role::Driver,
        Role::Customer,
        Role::Guest,
    ];

    /// Every role but the brand's customers and anonymous guests.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Customer | Role::Guest)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
            Role::Waiter => "waiter",
            Role::Kitchen => "kitchen",
            Role::Driver => "driver",
            Role::Customer => "customer",
            Role::Guest => "guest",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A member of the brand's staff (password login, or PIN on a registered device).
    Staff,
    /// A customer account of the brand.
    Customer,
    /// An anonymous guest session (QR table ordering).
    Guest,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// The user id, or the guest session id.
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: PrincipalKind,
    pub role: Role,
    /// `None`: every branch of the tenant.
    pub branch_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
}

impl From<Claims> for Principal {
    fn from(c: Claims) -> Self {
        Self {
            id: c.sub,
            tenant_id: c.tid,
            kind: c.kind,
            role: c.role,
            branch_id: c.bid,
            device_id: c.did,
        }
    }
}

impl Principal {
    /// Staff may act on a branch when unscoped or scoped to it; customers and guests never
    /// act on a branch as staff.
    pub fn can_access_branch(&self, branch_id: Uuid) -> bool {
        self.role.is_staff()
            && (self.role == Role::Owner || self.branch_id.is_none_or(|b| b == branch_id))
    }

    pub fn require_branch(&self, branch_id: Uuid) -> Result<(), Error> {
        if self.can_access_branch(branch_id) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Brand-wide changes (the catalog, promo codes) reach every branch: the owner, or a
    /// manager of every branch.
    pub fn require_whole_brand(&self) -> Result<(), Error> {
        let whole = self.kind == PrincipalKind::Staff
            && (self.role == Role::Owner
                || (self.role == Role::Manager && self.branch_id.is_none()));
        if whole { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// The database scope for this caller's requests.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant_id: Some(self.tenant_id),
            user_id: Some(self.id),
            branch_id: self.branch_id,
        }
    }
}

/// Which principals a route admits.
pub trait Policy: Send + Sync + 'static {
    fn admits(p: &Principal) -> bool;
}

pub mod policy {
    use super::{Policy, Principal, PrincipalKind, Role};

    /// Any authenticated principal.
    pub struct Authenticated;
    /// Any staff role.
    pub struct Staff;
    /// Owner or manager.
    pub struct Managers;
    /// The brand owner only.
    pub struct Owner;
    /// A customer account.
    pub struct Customer;

    impl Policy for Authenticated {
        fn admits(_: &Principal) -> bool {
            true
        }
    }
    impl Policy for Staff {
        fn admits(p: &Principal) -> bool {
            p.kind == PrincipalKind::Staff && p.role.is_staff()
        }
    }
    impl Policy for Managers {
        fn admits(p: &Principal) -> bool {
            p.kind == PrincipalKind::Staff && matches!(p.role, Role::Owner | Role::Manager)
        }
    }
    impl Policy for Owner {
        fn admits(p: &Principal) -> bool {
            p.kind == PrincipalKind::Staff && p.role == Role::Owner
        }
    }
    impl Policy for Customer {
        fn admits(p: &Principal) -> bool {
            p.kind == PrincipalKind::Customer
        }
    }
}

/// An authenticated principal admitted by `P`. Missing or invalid token, or one whose membership
/// was disabled or whose device was revoked since (see [`super::sessions`]) → 401; a valid
/// token whose role `P` does not admit → 403.
pub struct Auth<P: Policy>(pub Principal, PhantomData<P>);

impl<P: Policy> std::ops::Deref for Auth<P> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_str(&parts.headers)
}

pub fn bearer_str(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl<P: Policy> Auth<P> {
    /// `principal` under policy `P`: 403 when the policy does not admit it. The extractor
    /// (`crate::extract`) verifies the token and the session first.
    pub(crate) fn admit(principal: Principal) -> Result<Self, Error> {
        if !P::admits(&principal) {
            return Err(Error::Forbidden);
        }
        Ok(Auth(principal, PhantomData))
    }
}
