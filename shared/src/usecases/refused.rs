//! Why a use case did not do what it was asked: every refusal a caller can act on, and
//! storage failures. The variants say what kind of refusal it is, not how a protocol
//! answers it; the HTTP API maps each to a status and a stable code.

use crate::domain::expr::ExprError;
use crate::domain::plan::Plan;
use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The input breaks a rule; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// A channel-math expression that does not parse or check, with where.
    #[error(transparent)]
    Expression(#[from] ExprError),
    /// The credentials, code or link presented do not hold.
    #[error("{0}")]
    NotAuthenticated(String),
    /// The caller may not do this (their role, or a plan without the feature).
    #[error("{0}")]
    NotAllowed(String),
    /// Nothing of that ID is the caller's to see.
    #[error("{0}")]
    NotFound(String),
    /// A plan limit is reached: the message says what is counted and how many there are.
    #[error("{message}")]
    LimitReached {
        plan: Plan,
        limit: u32,
        message: String,
    },
    /// What is stored does not allow it now.
    #[error("{message}")]
    Conflict { kind: Conflict, message: String },
    /// Too many attempts; the message says until when.
    #[error("{0}")]
    TooMany(String),
    /// A read that would take more work than one request may; the message says what to
    /// narrow.
    #[error("{0}")]
    TooMuchData(String),
    /// A service it needs did not answer; the same request may succeed later.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The kinds of conflict with what is stored. [`Conflict::code`] is stable for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The ID is taken.
    Exists,
    /// Someone changed it since it was read; read it again.
    ChangedMeanwhile,
    /// The name is taken.
    NameTaken,
    /// A login alias that is another account's ID or alias.
    Taken,
    /// An app ID whose IoT thing exists already.
    ThingExists,
    /// A group that still has apps, calculated channels or alarms.
    NotEmpty,
    /// A calculated channel whose source is gone.
    Stopped,
    /// It would leave the account without an admin.
    LastAdmin,
    /// It would lock the caller out (an allow-list without their address).
    Lockout,
    /// An admin acting on their own user where that is refused.
    OnSelf,
    /// A user's own second step, which only they may change.
    OwnTwoStep,
    /// The other kind of second step is on already.
    TwoStepOn,
    /// No second step of that kind is enrolled.
    NotEnrolled,
    /// The user has no e-mail address to mail a code to.
    NoEmail,
    /// A Web API token cannot do this.
    WebApiToken,
    /// The plan changed less than a calendar month ago.
    TooSoon,
    /// No paid license (or no day of it) to convert.
    NoLicense,
}

impl Conflict {
    pub fn code(self) -> &'static str {
        match self {
            Conflict::Exists => "exists",
            Conflict::ChangedMeanwhile => "changed_meanwhile",
            Conflict::NameTaken => "name_taken",
            Conflict::Taken => "taken",
            Conflict::ThingExists => "thing_exists",
            Conflict::NotEmpty => "not_empty",
            Conflict::Stopped => "stopped",
            Conflict::LastAdmin => "last_admin",
            Conflict::Lockout => "lockout",
            Conflict::OnSelf => "self",
            Conflict::OwnTwoStep => "own_two_step",
            Conflict::TwoStepOn => "two_step_on",
            Conflict::NotEnrolled => "not_enrolled",
            Conflict::NoEmail => "no_email",
            Conflict::WebApiToken => "web_api_token",
            Conflict::TooSoon => "too_soon",
            Conflict::NoLicense => "no_license",
        }
    }
}

impl Refused {
    pub fn invalid(message: impl Into<String>) -> Self {
        Refused::Invalid(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Refused::NotFound(message.into())
    }

    pub fn not_allowed(message: impl Into<String>) -> Self {
        Refused::NotAllowed(message.into())
    }

    pub fn conflict(kind: Conflict, message: impl Into<String>) -> Self {
        Refused::Conflict {
            kind,
            message: message.into(),
        }
    }

    /// `limit` things of a kind the plan counts, `has` of them already: "plan pro allows
    /// 10 teams; the account has 10".
    pub fn limit_reached(plan: Plan, limit: u32, counted: &str, has: &str) -> Self {
        Refused::LimitReached {
            plan,
            limit,
            message: format!("plan {plan} allows {limit} {counted}; {has}"),
        }
    }
}
