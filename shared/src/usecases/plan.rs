//! The account's plan: what it is, until when, what it stores against it, and the
//! admin's change between Standard and Pro (the rules in
//! [`crate::domain::schedule::plan_change`]). Buying or ending a license is the
//! operator's; the change is audited by the router as every admin write is.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::account::{account_of, storage_view, StorageView};
use super::audit::audit;
use super::{Conflict, Refused};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::schedule::{
    change_plan as converted, china_day, next_change_allowed, PlanChangeError,
};
use crate::domain::token::Principal;
use crate::ports::{Accounts, AuditLog, DataUsage, Files};

/// The plan as the account's members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PlanView {
    /// The plan in force now (a paid license past its expiry is Free).
    pub plan: Plan,
    pub license_expires: Option<Millis>,
    pub trial_ends: Option<Millis>,
    /// When the admin last changed it, and the first day (`YYYY-MM-DD`, China Standard
    /// Time) the next change is possible.
    pub plan_changed: Option<Millis>,
    pub next_change_allowed: Option<String>,
    pub storage: StorageView,
}

/// The plan of the caller's account at `now`.
pub async fn plan(
    store: &(impl Accounts + Files + DataUsage),
    principal: &Principal,
    now: Millis,
) -> Result<PlanView, Refused> {
    let account = account_of(store, principal).await?;
    Ok(PlanView {
        plan: account.plan_at(now),
        license_expires: account.license_expires,
        trial_ends: account.trial_ends(),
        plan_changed: account.plan_changed,
        // A day already come says nothing: a change is possible now.
        next_change_allowed: account
            .plan_changed
            .map(next_change_allowed)
            .filter(|day| *day > china_day(now))
            .map(|day| day.to_string()),
        storage: storage_view(store, &account, now).await?,
    })
}

/// The body of a plan change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    pub plan: String,
}

/// A change done: the days the old license had left, what they became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PlanChanged {
    pub from: Plan,
    pub to: Plan,
    pub days_left: u32,
    pub days_converted: u32,
    /// Days past the 13-month cap, not kept.
    pub days_dropped: u32,
    pub license_expires: Millis,
}

/// Changes the account's plan between Standard and Pro at `now`, converting the
/// license's remaining days; refused naming the rule it breaks. The change is recorded
/// in the audit log with what it did (the router's own entry names only the route).
pub async fn change_plan(
    store: &(impl Accounts + AuditLog),
    principal: &Principal,
    draft: PlanDraft,
    address: Option<&str>,
    now: Millis,
) -> Result<PlanChanged, Refused> {
    let to: Plan = draft
        .plan
        .parse()
        .map_err(|_| Refused::invalid(format!("`plan`: `{}` is no plan", draft.plan)))?;
    let account = account_of(store, principal).await?;
    let change = converted(&account, to, account.plan_changed, now).map_err(refusal)?;
    let license_expires = change.license_expires();
    if !store
        .change_plan(&account, to, license_expires, now)
        .await?
    {
        return Err(Refused::conflict(
            Conflict::ChangedMeanwhile,
            "the plan changed meanwhile; read it again",
        ));
    }
    let was = account
        .license_expires
        .map_or_else(|| "none".to_owned(), |at| at.iso());
    let detail = format!(
        "{} to {}: {} days left became {}, {} dropped; license expires {} (was {was})",
        change.from,
        change.to,
        change.days_left,
        change.days_converted,
        change.days_dropped,
        license_expires.iso()
    );
    // The change stands once written; an audit entry that fails to be written is
    // logged with the same detail rather than failing a request that did its work.
    if let Err(error) = audit(
        store,
        &account.id,
        Some(&principal.user),
        address,
        "plan_changed",
        detail.clone(),
        now,
    )
    .await
    {
        tracing::error!(account = %account.id, ?error, %detail, "plan change not audited");
    }
    tracing::info!(account = %account.id, %detail, "plan changed");
    Ok(PlanChanged {
        from: change.from,
        to: change.to,
        days_left: change.days_left,
        days_converted: change.days_converted,
        days_dropped: change.days_dropped,
        license_expires,
    })
}

fn refusal(error: PlanChangeError) -> Refused {
    let message = error.to_string();
    match error {
        PlanChangeError::TooSoon { .. } => Refused::conflict(Conflict::TooSoon, message),
        PlanChangeError::NoLicense { .. }
        | PlanChangeError::NothingToConvert { .. }
        | PlanChangeError::ConvertsToNothing { .. } => {
            Refused::conflict(Conflict::NoLicense, message)
        }
        PlanChangeError::SamePlan(_) | PlanChangeError::NotConvertible { .. } => {
            Refused::invalid(format!("`plan`: {message}"))
        }
    }
}
