//! Temporary logins (for an alarm mail's link): a view-only session of the caller's
//! account that ends 30 minutes after it was made however it is used, and with its
//! maker's sessions.

use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::auth::{Role, Session, TEMPORARY_LOGIN_MILLIS};
use crate::domain::record::Millis;
use crate::domain::token::{Principal, TokenKey};
use crate::ports::{AuditLog, Sessions, Users};

use super::audit::audit_own;
use super::random::Random;
use super::Refused;

/// A temporary login's token, its role (viewer) and when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TemporaryLogin {
    pub token: String,
    pub role: Role,
    pub expires: Millis,
}

pub async fn temporary_login(
    store: &(impl Users + Sessions + AuditLog),
    key: &TokenKey,
    random: &mut impl Random,
    principal: &Principal,
    address: Option<&str>,
    now: Millis,
) -> Result<TemporaryLogin, Refused> {
    let session = Session {
        id: format!("{:032x}", random.u128()),
        account: principal.account.clone(),
        user: principal.user.clone(),
        role: Role::Viewer,
        last_active: now,
        // Its maker's: it ends with their sessions.
        generation: store
            .session_generation(&principal.account, &principal.user)
            .await?,
    };
    store.create_session(&session).await?;
    let expires = now.plus(TEMPORARY_LOGIN_MILLIS);
    let token = key.sign(&Principal {
        account: session.account,
        user: session.user,
        role: Role::Viewer,
        session: session.id,
        expires,
    });
    audit_own(
        store,
        principal,
        address,
        "temporary_login_issued",
        String::new(),
        now,
    )
    .await?;
    Ok(TemporaryLogin {
        token,
        role: Role::Viewer,
        expires,
    })
}
