//! Two-step verification by a code mailed to the user (SPEC.md 9: none / e-mail code /
//! authenticator app).
//!
//! Turning it on proves the address works: a code is mailed and must come back. At each
//! login with the right password a code is mailed and the login waits, as with an
//! authenticator app, on the second step. Codes are 6 digits, stored hashed and bound to
//! their purpose, good for 10 minutes and once; wrong ones count like wrong passwords, so
//! guessing is throttled with the same limits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::auth::{mailed_code_hash, TwoStep, MAILED_CODE_MILLIS};
use crate::domain::record::Millis;
use crate::domain::token::Principal;
use crate::ports::{AuditLog, Mail, MailedCodes, Mailer, Throttle, Users};

use super::audit::audit_own;
use super::caller::own_user;
use super::random::Random;
use super::throttle::recheck_password;
use super::{Conflict, Refused};

/// Codes one user may be mailed for turning the e-mail step on, per throttle window.
const MAX_ENROLLMENT_MAILS: u32 = 3;

/// A body holding a code: from the authenticator app or a mail.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
}

/// A body holding the caller's password, asked again.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Password {
    pub password: String,
}

/// A body holding the caller's password, asked again, and a code mailed to them: what
/// turning the e-mail step off takes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordAndCode {
    pub password: String,
    pub code: String,
}

/// Which second step the user has now: `none`, `email` or `totp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TwoStepView {
    pub two_step: &'static str,
}

/// A code is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CodeSent {
    pub sent: &'static str,
}

/// A new 6-digit code.
fn new_code(random: &mut impl Random) -> String {
    format!("{:06}", random.below(1_000_000))
}

/// What a mailed code is for, as its mail says: a code asked for to turn the second step
/// off must not pass for a login's, to whoever is asked to read it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFor {
    Login,
    TurningOn,
    TurningOff,
}

impl CodeFor {
    fn words(self) -> &'static str {
        match self {
            CodeFor::Login => "log in",
            CodeFor::TurningOn => "turn ON two-step verification by e-mailed codes",
            CodeFor::TurningOff => "turn OFF two-step verification by e-mailed codes",
        }
    }
}

/// Mails a new code for `purpose` (`what` it is for, in words) to `to` and stores its hash.
pub async fn send_code(
    store: &impl MailedCodes,
    mailer: &impl Mailer,
    random: &mut impl Random,
    purpose: &str,
    what: CodeFor,
    to: &str,
    now: Millis,
) -> Result<(), Refused> {
    let code = new_code(random);
    store
        .create_mailed_code(
            purpose,
            Some(&mailed_code_hash(purpose, &code)),
            now.plus(MAILED_CODE_MILLIS),
        )
        .await?;
    let mail = Mail {
        to: to.to_owned(),
        // Not in the subject: notifications and mail lists show subjects to whoever
        // looks at the screen.
        subject: "fieldcloud: your verification code".into(),
        text: format!(
            "Your fieldcloud verification code is {code}.\n\nIt is to {}, and works once, \
             for 10 minutes. If you did not ask for it, someone may know your password: \
             change it.\n",
            what.words()
        ),
    };
    mailer.send(&mail).await?;
    Ok(())
}

/// Spends the code for `purpose`; `false` for a wrong, used or expired one.
pub async fn take_code(
    store: &impl MailedCodes,
    purpose: &str,
    code: &str,
    now: Millis,
) -> Result<bool, Refused> {
    Ok(store
        .take_mailed_code(purpose, &mailed_code_hash(purpose, code), now)
        .await?)
}

/// Codes one second step (a login's, or turning mailed codes on) takes before it ends.
pub const MAX_CODE_ATTEMPTS: u32 = 3;

/// Counts one code tried on `purpose`; `false` once the step has ended or had its tries.
pub async fn attempt(
    store: &impl MailedCodes,
    purpose: &str,
    now: Millis,
) -> Result<bool, Refused> {
    Ok(store.count_attempt(purpose, MAX_CODE_ATTEMPTS, now).await?)
}

/// What a login's second step is stored under: its challenge's session ID.
pub fn login_purpose(challenge_session: &str) -> String {
    format!("login:{challenge_session}")
}

/// What a code for turning the e-mail step on, or off, is stored under.
fn change_purpose(principal: &Principal) -> String {
    format!("two-step-email:{}/{}", principal.account, principal.user)
}

/// Mails a code to the user's address: to turn the e-mail step on, or, while it is on,
/// to turn it off.
pub async fn enroll(
    store: &(impl Users + Throttle + MailedCodes),
    mailer: &impl Mailer,
    random: &mut impl Random,
    principal: &Principal,
    now: Millis,
) -> Result<CodeSent, Refused> {
    let user = own_user(store, principal).await?;
    if user.two_step() == Some(TwoStep::Totp) {
        return Err(Refused::conflict(
            Conflict::TwoStepOn,
            "the authenticator app is your second step; turn it off first",
        ));
    }
    let what = if user.two_step() == Some(TwoStep::Email) {
        CodeFor::TurningOff
    } else {
        CodeFor::TurningOn
    };
    let email = user.email.ok_or_else(|| {
        Refused::conflict(
            Conflict::NoEmail,
            "your user has no e-mail address to send codes to",
        )
    })?;
    let key = format!("code-mail:{}/{}", principal.account, principal.user);
    if let Some(until) = store.claim_attempt(&key, MAX_ENROLLMENT_MAILS, now).await? {
        return Err(Refused::TooMany(format!(
            "three codes were mailed already; ask again after {}",
            until.iso()
        )));
    }
    let purpose = change_purpose(principal);
    send_code(store, mailer, random, &purpose, what, &email, now).await?;
    Ok(CodeSent {
        sent: "a code is on its way to your e-mail address",
    })
}

/// Turns the e-mail step on with the mailed code.
pub async fn confirm(
    store: &(impl Users + MailedCodes + AuditLog),
    principal: &Principal,
    code: Code,
    address: Option<&str>,
    now: Millis,
) -> Result<TwoStepView, Refused> {
    let purpose = change_purpose(principal);
    if !attempt(store, &purpose, now).await? {
        return Err(Refused::invalid(
            "no code is pending, or it expired or had its tries; ask for a new one",
        ));
    }
    if !take_code(store, &purpose, &code.code, now).await? {
        return Err(Refused::invalid(
            "the code is wrong, used or expired; ask for a new one",
        ));
    }
    store
        .set_email_two_step(&principal.account, &principal.user, true)
        .await?;
    audit_own(
        store,
        principal,
        address,
        "two_step_enabled",
        "email".into(),
        now,
    )
    .await?;
    Ok(TwoStepView { two_step: "email" })
}

/// Turns the e-mail step off. It takes the password and a code mailed for it (`enroll`
/// mails one while the step is on): a session left open is not enough, nor a session and
/// the password without the mailbox — the very case a second step is there for.
pub async fn disable(
    store: &(impl Users + Throttle + MailedCodes + AuditLog),
    principal: &Principal,
    proof: PasswordAndCode,
    address: Option<&str>,
    now: Millis,
) -> Result<TwoStepView, Refused> {
    recheck_password(store, principal, &proof.password, address, now).await?;
    let purpose = change_purpose(principal);
    if !attempt(store, &purpose, now).await? {
        return Err(Refused::invalid(
            "no code is pending, or it expired or had its tries; ask for a new one \
             (POST /v1/two-step/email)",
        ));
    }
    if !take_code(store, &purpose, &proof.code, now).await? {
        return Err(Refused::invalid(
            "the code is wrong, used or expired; ask for a new one",
        ));
    }
    store
        .set_email_two_step(&principal.account, &principal.user, false)
        .await?;
    audit_own(
        store,
        principal,
        address,
        "two_step_disabled",
        "email".into(),
        now,
    )
    .await?;
    Ok(TwoStepView { two_step: "none" })
}
