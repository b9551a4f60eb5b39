//! A quote for a license, asked for by an account's admin: recorded in the account's
//! audit log and mailed to the operator, who sells licenses (fieldcloud itself takes
//! no payment).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::account::account_of;
use super::audit::audit;
use super::Refused;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::text::invisible;
use crate::domain::token::Principal;
use crate::ports::{Accounts, AuditLog, Mail, Mailer, Throttle};

/// Quotes an account may ask for in one throttle window
/// ([`crate::domain::auth::THROTTLE_WINDOW_MILLIS`]): enough for a change of mind, too
/// few to flood the operator's mailbox.
pub const QUOTES_PER_WINDOW: u32 = 3;
/// The license periods sold, in months.
pub const PERIODS_MONTHS: [u32; 3] = [1, 3, 12];
/// The longest note to the operator, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// The body of a quote request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteDraft {
    pub plan: String,
    pub months: u32,
    #[serde(default)]
    pub note: Option<String>,
}

/// A quote request recorded and sent on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QuoteRequested {
    pub plan: Plan,
    pub months: u32,
    pub requested: Millis,
}

/// Where the operator's mail goes, and the caller's address for the audit log.
pub struct QuoteContext<'a> {
    pub operator_email: &'a str,
    pub address: Option<&'a str>,
}

/// `note` with each line marked as the customer's, as mail quotes text.
fn quoted(note: &str) -> String {
    note.lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Records a quote request of the caller's account and mails it to the operator; at most
/// [`QUOTES_PER_WINDOW`] per window.
pub async fn request_quote(
    store: &(impl Accounts + AuditLog + Throttle),
    mailer: &impl Mailer,
    context: QuoteContext<'_>,
    principal: &Principal,
    draft: QuoteDraft,
    now: Millis,
) -> Result<QuoteRequested, Refused> {
    let plan = match draft.plan.parse::<Plan>() {
        Ok(plan @ (Plan::Standard | Plan::Pro)) => plan,
        _ => {
            return Err(Refused::invalid(format!(
                "`plan`: a quote is for `standard` or `pro`, not `{}`",
                draft.plan
            )))
        }
    };
    if !PERIODS_MONTHS.contains(&draft.months) {
        return Err(Refused::invalid(format!(
            "`months`: licenses are sold for 1, 3 or 12 months, not {}",
            draft.months
        )));
    }
    // Line breaks as a browser sends them (CRLF) or not; tabs kept.
    let note = draft.note.unwrap_or_default().replace("\r\n", "\n");
    // Nothing that would make the operator read the note other than it is: control
    // characters, or the invisible ones that reorder or hide text.
    if note.chars().count() > MAX_NOTE_CHARS
        || note
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || invisible(c))
    {
        return Err(Refused::invalid(format!(
            "`note`: at most {MAX_NOTE_CHARS} characters, no control or invisible formatting \
             characters but line breaks and tabs"
        )));
    }
    let account = account_of(store, principal).await?;
    let key = format!("quote:{}", account.id);
    if let Some(until) = store.claim_attempt(&key, QUOTES_PER_WINDOW, now).await? {
        return Err(Refused::TooMany(format!(
            "the account asked for {QUOTES_PER_WINDOW} quotes already; ask again after {}",
            until.iso()
        )));
    }
    let summary = format!("{plan} for {} months", draft.months);
    let contact = account.contract_email.as_deref().unwrap_or("(none set)");
    // Mailed first: the audit log says a request was made only once the operator has it.
    mailer
        .send(&Mail {
            to: context.operator_email.to_owned(),
            subject: format!(
                "Quote request: {} ({}), {summary}",
                account.name, account.id
            ),
            text: format!(
                "Account: {} ({})\nPlan now: {}\nLicense expires: {}\nAsked for: {summary}\n\
                 Asked by: user {} at {}\nContract e-mail: {contact}\n\n\
                 The customer's note, as written:\n{}\n",
                account.name,
                account.id,
                account.plan_at(now),
                account
                    .license_expires
                    .map_or_else(|| "none".to_owned(), |at| at.iso()),
                principal.user,
                now.iso(),
                // Quoted line by line: no line of the note can pass for one of the lines
                // above it.
                quoted(&note),
            ),
        })
        .await?;
    audit(
        store,
        &account.id,
        Some(&principal.user),
        context.address,
        "quote_requested",
        if note.is_empty() {
            summary
        } else {
            format!("{summary}: {note}")
        },
        now,
    )
    .await?;
    Ok(QuoteRequested {
        plan,
        months: draft.months,
        requested: now,
    })
}
