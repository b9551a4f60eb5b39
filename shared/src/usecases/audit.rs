//! The account's audit log: written on every change and every refused login (failed ones
//! folded per user, address and detail), and read page by page, newest first.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::auth::{AuditEvent, AuditQuery};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::domain::token::Principal;
use crate::ports::AuditLog;

use super::Refused;

/// Audit events one page holds at most, and by default.
pub const MAX_AUDIT_EVENTS: usize = 500;
pub const DEFAULT_AUDIT_EVENTS: usize = 100;

/// Audits a failed login, folded with the others of its user, address and detail in the
/// same window into one entry with a count.
pub async fn login_failed(
    store: &impl AuditLog,
    account: &AccountId,
    user: &UserId,
    address: Option<&str>,
    detail: String,
    now: Millis,
) -> Result<(), Refused> {
    let event = AuditEvent {
        at: now,
        action: "login_failed".into(),
        user: Some(user.clone()),
        address: address.map(str::to_owned),
        detail,
        count: 1,
        last: None,
    };
    store.audit_failure(account, &event).await?;
    Ok(())
}

/// Writes an audit event; a failure to write it fails the request, so nothing audited
/// goes unrecorded.
pub async fn audit(
    store: &impl AuditLog,
    account: &AccountId,
    user: Option<&UserId>,
    address: Option<&str>,
    action: &str,
    detail: String,
    now: Millis,
) -> Result<(), Refused> {
    let event = AuditEvent {
        at: now,
        action: action.to_owned(),
        user: user.cloned(),
        address: address.map(str::to_owned),
        detail,
        count: 1,
        last: None,
    };
    store.audit(account, &event).await?;
    Ok(())
}

/// Audits an action the caller took.
pub async fn audit_own(
    store: &impl AuditLog,
    principal: &Principal,
    address: Option<&str>,
    action: &str,
    detail: String,
    now: Millis,
) -> Result<(), Refused> {
    let user = Some(&principal.user);
    audit(
        store,
        &principal.account,
        user,
        address,
        action,
        detail,
        now,
    )
    .await
}

/// A page of the audit log: `next` is the cursor of the page after it, if there is more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AuditLogPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<String>,
}

/// A page of the account's audit log, newest first, as `query` filters it.
pub async fn audit_log(
    store: &impl AuditLog,
    principal: &Principal,
    query: &AuditQuery,
) -> Result<AuditLogPage, Refused> {
    let page = store.audit_log(&principal.account, query).await?;
    let next = page.next.map(|sk| URL_SAFE_NO_PAD.encode(sk));
    Ok(AuditLogPage {
        events: page.events,
        next,
    })
}

/// Where a page starts: the `next` of the page before it.
pub fn cursor(next: &str) -> Result<String, Refused> {
    URL_SAFE_NO_PAD
        .decode(next.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|sk| sk.starts_with("AUDIT#"))
        .ok_or_else(|| Refused::invalid("`cursor` must be the `next` of a page of this log"))
}

/// How many events a page holds: 1 to [`MAX_AUDIT_EVENTS`].
pub fn page_limit(text: &str) -> Result<usize, Refused> {
    text.parse()
        .ok()
        .filter(|n| (1..=MAX_AUDIT_EVENTS).contains(n))
        .ok_or_else(|| {
            Refused::invalid(format!(
                "`limit` must be a whole number from 1 to {MAX_AUDIT_EVENTS}, got `{text}`"
            ))
        })
}
