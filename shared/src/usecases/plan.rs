//! The account's plan: what it is, until when, what it stores against it, and the
//! admin's change between Standard and Pro (the rules in
//! [`crate::domain::schedule::plan_change`]). Buying or ending a license is the
//! operator's; the change is audited by the router as every admin write is.

use serde::{Deserialize, Serialize};

use super::account::{account_of, storage_view, StorageView};
use super::{Conflict, Refused};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::schedule::{change_plan as converted, next_change_allowed, PlanChangeError};
use crate::domain::token::Principal;
use crate::ports::{Accounts, DataUsage, Files};

/// The plan as the account's members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        next_change_allowed: account
            .plan_changed
            .map(|at| next_change_allowed(at).to_string()),
        storage: storage_view(store, &account, now).await?,
    })
}

/// The body of a plan change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    pub plan: String,
}

/// A change done: the days the old license had left, what they became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
/// license's remaining days; refused naming the rule it breaks.
pub async fn change_plan(
    store: &impl Accounts,
    principal: &Principal,
    draft: PlanDraft,
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
    tracing::info!(account = %account.id, from = %change.from, to = %change.to, days = change.days_left, "plan changed");
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
        PlanChangeError::NoLicense { .. } | PlanChangeError::NothingToConvert { .. } => {
            Refused::conflict(Conflict::NoLicense, message)
        }
        PlanChangeError::SamePlan(_) | PlanChangeError::NotConvertible { .. } => {
            Refused::invalid(format!("`plan`: {message}"))
        }
    }
}
