//! The account's audit log as the routes write it: every change and every refused login,
//! failed ones folded per user, address and detail.

use fieldcloud::domain::auth::AuditEvent;
use fieldcloud::domain::ids::{AccountId, UserId};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::AuditLog;

use crate::error::ApiError;

/// Audits a failed login, folded with the others of its user, address and detail in the
/// same window into one entry with a count.
pub async fn login_failed(
    identity: &impl AuditLog,
    account: &AccountId,
    user: &UserId,
    address: Option<&str>,
    detail: String,
    now: Millis,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        at: now,
        action: "login_failed".into(),
        user: Some(user.clone()),
        address: address.map(str::to_owned),
        detail,
        count: 1,
        last: None,
    };
    identity.audit_failure(account, &event).await?;
    Ok(())
}

/// Writes an audit event; a failure to write it fails the request, so nothing audited
/// goes unrecorded.
pub async fn audit(
    identity: &impl AuditLog,
    account: &AccountId,
    user: Option<&UserId>,
    address: Option<&str>,
    action: &str,
    detail: String,
    now: Millis,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        at: now,
        action: action.to_owned(),
        user: user.cloned(),
        address: address.map(str::to_owned),
        detail,
        count: 1,
        last: None,
    };
    identity.audit(account, &event).await?;
    Ok(())
}

/// Audits an action the caller took.
pub async fn audit_own(
    identity: &impl AuditLog,
    principal: &Principal,
    address: Option<&str>,
    action: &str,
    detail: String,
    now: Millis,
) -> Result<(), ApiError> {
    let user = Some(&principal.user);
    audit(
        identity,
        &principal.account,
        user,
        address,
        action,
        detail,
        now,
    )
    .await
}
