//! Logging in and out.
//!
//! A login answers a wrong account, user or password alike (not authenticated) — and a
//! right one from an address off the allow-list too — and takes as long for a user that
//! does not exist; failed logins are counted per user and address, per address and per
//! user (a slower backstop), and over a limit logins are refused (too many) until the
//! window ends. A user with a second step gets a challenge first, and a session for it
//! and a code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::auth::{
    decoy_hash, totp_step, verify_password, Role, Session, TwoStep, User, SESSION_IDLE_MILLIS,
    TWO_STEP_CHALLENGE_MILLIS,
};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::token::{Principal, TokenError, TokenKey};
use crate::ports::{Accounts, AuditLog, MailedCodes, Mailer, Sessions, Throttle, Users};

use super::api_tokens::WEB_API_SESSION;
use super::audit::{audit, audit_own, login_failed};
use super::mailed_code;
use super::random::Random;
use super::throttle::{claim_login_attempt, user_throttle_key};
use super::totp::stored_secret;
use super::{Conflict, Refused};

/// A token is good for 30 days at most, however active its session.
const TOKEN_LIFETIME_MILLIS: i64 = 30 * 24 * 60 * Millis::MINUTE;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Account ID (or a Pro account's alternate login ID) and user ID; or, for a Trial,
    /// `email` alone.
    pub account: Option<String>,
    pub user: Option<String>,
    pub email: Option<String>,
    pub password: String,
}

/// What a login answers: a session, or a challenge that waits for the second step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    TwoStep(Challenge),
    Session(SessionView),
}

/// The first step of a login with a second step: which kind it is, and the challenge the
/// second step presents with its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Challenge {
    pub two_step: &'static str,
    pub challenge: String,
}

/// A new session: its token, who it is of, and how long it lives without a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SessionView {
    pub token: String,
    pub account: AccountId,
    pub user: UserId,
    pub role: Role,
    pub idle_timeout_seconds: i64,
}

/// Who a login names, before the password is checked.
struct LoginName {
    /// `None` when the name matches no account that can log in this way.
    account: Option<AccountId>,
    user: UserId,
    /// What failed attempts on this name are counted under.
    throttle_key: String,
    /// The one answer to every wrong attempt on this kind of login.
    wrong: fn() -> Refused,
}

fn wrong_email_or_password() -> Refused {
    Refused::NotAuthenticated("e-mail or password is wrong".into())
}

fn wrong_credentials() -> Refused {
    Refused::NotAuthenticated("account ID, user ID or password is wrong".into())
}

fn wrong_code() -> Refused {
    Refused::NotAuthenticated("the code is wrong or was used already".into())
}

/// Reads the login's name: account and user IDs (not of a Trial, which has no account
/// login), or a Trial's e-mail address. Unknown names resolve to no account, so that they
/// are refused exactly like a wrong password.
async fn login_name(store: &impl Accounts, request: &LoginRequest) -> Result<LoginName, Refused> {
    match (&request.account, &request.user, &request.email) {
        (Some(account), Some(user), None) => {
            let account = AccountId::parse(account.as_str()).map_err(|_| wrong_credentials())?;
            let account = login_account(store, account).await?;
            let user = UserId::parse(user.as_str()).map_err(|_| wrong_credentials())?;
            let trial = store
                .account(&account)
                .await?
                .is_some_and(|a| a.plan == Plan::Trial);
            Ok(LoginName {
                throttle_key: format!("user:{account}/{user}"),
                account: (!trial).then_some(account),
                user,
                wrong: wrong_credentials,
            })
        }
        (None, None, Some(email)) => {
            let email = normalize_email(email);
            Ok(LoginName {
                account: store.account_by_email(&email).await?,
                user: trial_owner(),
                throttle_key: format!("email:{email}"),
                wrong: wrong_email_or_password,
            })
        }
        _ => Err(Refused::invalid(
            "log in with `account`, `user` and `password`, or (Trial) `email` and `password`",
        )),
    }
}

/// The one user of a Trial account: it logs in with its e-mail address.
pub fn trial_owner() -> UserId {
    UserId::parse("owner").expect("a valid user ID")
}

/// E-mail addresses are compared without case and surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The refusal of a login or request of a Trial account past its 93 days.
pub fn trial_ended(at: Millis) -> Refused {
    Refused::not_allowed(format!(
        "the trial ended at {}; its data is deleted",
        at.iso()
    ))
}

/// Whether `address` (as the request came from it) may use the account.
fn admitted(account: &crate::domain::registry::Account, address: Option<&str>) -> bool {
    account.admits(address.and_then(|a| a.parse().ok()))
}

/// Logs in from `address` with a password: a session, or a challenge for the second
/// step (its code mailed, if it goes by mail).
pub async fn login(
    store: &(impl Accounts + Users + Sessions + Throttle + MailedCodes + AuditLog),
    mailer: &impl Mailer,
    key: &TokenKey,
    random: &mut impl Random,
    request: LoginRequest,
    address: Option<&str>,
    now: Millis,
) -> Result<LoginOutcome, Refused> {
    let name = login_name(store, &request).await?;
    let attempt = claim_login_attempt(store, &name.throttle_key, address, now).await?;
    // Read before the password is checked: a reset that comes between the check and the
    // new session moves the generation past this one, and so ends the session.
    let generation = match &name.account {
        Some(account) => store.session_generation(account, &name.user).await?,
        None => 0,
    };
    let found = match &name.account {
        Some(account) => store.user(account, &name.user).await?,
        None => None,
    };
    let hash = found
        .as_ref()
        .map_or(decoy_hash(), |u| u.password_hash.as_str());
    let matches = verify_password(&request.password, hash);
    let Some(found) = found.filter(|_| matches) else {
        if let Some(account) = &name.account {
            if store.account(account).await?.is_some() {
                let user = &name.user;
                login_failed(store, account, user, address, String::new(), now).await?;
            }
        }
        return Err((name.wrong)());
    };
    let account = found.account.clone();
    let account_record = store.account(&account).await?.ok_or_else(name.wrong)?;
    // An address off the allow-list gets the answer of a wrong password, and the attempt
    // stays counted: from there, a right password cannot be told from a wrong one. Why
    // goes to the audit log.
    if !admitted(&account_record, address) {
        refused_login(store, &found, address, "address not on the allow-list", now).await?;
        return Err((name.wrong)());
    }
    attempt.succeeded(store, now).await?;
    if let Some(end) = account_record
        .trial_ends()
        .filter(|_| account_record.trial_over(now))
    {
        refused_login(store, &found, address, "the trial has ended", now).await?;
        return Err(trial_ended(end));
    }
    let Some(two_step) = found.two_step() else {
        let session = open_session(store, key, random, &found, generation, address, now);
        return Ok(LoginOutcome::Session(session.await?));
    };
    // Password right; the session waits for the second step's code. The step is stored
    // so that its tries are counted, whichever kind it is; the challenge carries the
    // generation, so a password reset before the second step ends the session it opens.
    let session = format!("{CHALLENGE_PREFIX}{generation}:{:032x}", random.u128());
    let purpose = mailed_code::login_purpose(&session);
    let method = match (two_step, &found.email) {
        (TwoStep::Email, Some(email)) => {
            let what = mailed_code::CodeFor::Login;
            mailed_code::send_code(store, mailer, random, &purpose, what, email, now).await?;
            "email"
        }
        // Turning the step on needs an address; without one there is nowhere to send the
        // code, and skipping the step would be worse than refusing.
        (TwoStep::Email, None) => {
            return Err(Refused::conflict(
                Conflict::NoEmail,
                "your login code goes by e-mail, but your user has no address; ask an admin",
            ))
        }
        (TwoStep::Totp, _) => {
            let expires = now.plus(TWO_STEP_CHALLENGE_MILLIS);
            store.create_mailed_code(&purpose, None, expires).await?;
            "totp"
        }
    };
    let challenge = key.sign(&Principal {
        account,
        user: found.id.clone(),
        role: found.role,
        session,
        expires: now.plus(TWO_STEP_CHALLENGE_MILLIS),
    });
    Ok(LoginOutcome::TwoStep(Challenge {
        two_step: method,
        challenge,
    }))
}

/// The account a login names: an account ID, or a Pro account's alternate login ID. The
/// two share one namespace (an alias is never an account ID), so at most one matches.
async fn login_account(store: &impl Accounts, named: AccountId) -> Result<AccountId, Refused> {
    if store.account(&named).await?.is_some() {
        return Ok(named);
    }
    let Some(aliased) = store.account_by_alias(&named).await? else {
        return Ok(named);
    };
    // An alias outlives a downgrade from Pro, but only works on Pro.
    let pro = store
        .account(&aliased)
        .await?
        .is_some_and(|a| a.plan.limits().alternate_login_id);
    Ok(if pro { aliased } else { named })
}

/// A login challenge's session field starts with this, then the user's session
/// generation at the first step; it opens no route by itself.
const CHALLENGE_PREFIX: &str = "challenge:";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoStepLogin {
    pub challenge: String,
    pub code: String,
}

/// The second step of a login: the challenge from the first and a code (from the
/// authenticator, or mailed), which works once. Wrong codes count against the same
/// throttle as wrong passwords.
pub async fn login_two_step(
    store: &(impl Accounts + Users + Sessions + Throttle + MailedCodes + AuditLog),
    key: &TokenKey,
    random: &mut impl Random,
    request: TwoStepLogin,
    address: Option<&str>,
    now: Millis,
) -> Result<SessionView, Refused> {
    let challenge = key
        .verify(&request.challenge, now)
        .map_err(|error| match error {
            TokenError::Expired => {
                Refused::NotAuthenticated("the login challenge expired; log in again".into())
            }
            _ => Refused::NotAuthenticated("the login challenge is invalid".into()),
        })?;
    let generation = challenge
        .session
        .strip_prefix(CHALLENGE_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(generation, _)| generation.parse::<u64>().ok())
        .ok_or_else(|| Refused::NotAuthenticated("the login challenge is invalid".into()))?;
    let (account, user) = (challenge.account, challenge.user);
    let found = store
        .user(&account, &user)
        .await?
        .ok_or_else(wrong_credentials)?;
    let purpose = mailed_code::login_purpose(&challenge.session);
    if !mailed_code::attempt(store, &purpose, now).await? {
        return Err(Refused::NotAuthenticated(
            "this login had its tries or ended; log in again".into(),
        ));
    }
    let name = user_throttle_key(&account, &user);
    let attempt = claim_login_attempt(store, &name, address, now).await?;
    let accepted = match found.two_step() {
        Some(TwoStep::Totp) => {
            let step = match &found.totp {
                Some(state) => totp_step(&stored_secret(key, state)?, &request.code, now),
                None => None,
            };
            match step {
                Some(step) => store.use_totp_step(&account, &user, step).await?,
                None => false,
            }
        }
        Some(TwoStep::Email) => mailed_code::take_code(store, &purpose, &request.code, now).await?,
        None => false,
    };
    if !accepted {
        let detail = "second-step code".to_owned();
        login_failed(store, &account, &user, address, detail, now).await?;
        return Err(wrong_code());
    }
    let account_record = store
        .account(&account)
        .await?
        .ok_or_else(wrong_credentials)?;
    if !admitted(&account_record, address) {
        refused_login(store, &found, address, "address not on the allow-list", now).await?;
        return Err(wrong_code());
    }
    attempt.succeeded(store, now).await?;
    open_session(store, key, random, &found, generation, address, now).await
}

/// Audits a login refused with the right credentials, and why.
async fn refused_login(
    store: &impl AuditLog,
    user: &User,
    address: Option<&str>,
    why: &str,
    now: Millis,
) -> Result<(), Refused> {
    let account = &user.account;
    let detail = why.to_owned();
    audit(
        store,
        account,
        Some(&user.id),
        address,
        "login_refused",
        detail,
        now,
    )
    .await
}

/// Opens a session of `user` in their session `generation` (read before their password
/// was checked) and answers a successful login with its token.
pub async fn open_session(
    store: &(impl Sessions + AuditLog),
    key: &TokenKey,
    random: &mut impl Random,
    user: &User,
    generation: u64,
    address: Option<&str>,
    now: Millis,
) -> Result<SessionView, Refused> {
    let (account, role) = (&user.account, user.role);
    let user = &user.id;
    let session = Session {
        id: format!("{:032x}", random.u128()),
        account: account.clone(),
        user: user.clone(),
        role,
        last_active: now,
        generation,
    };
    store.create_session(&session).await?;
    let token = key.sign(&Principal {
        account: account.clone(),
        user: user.clone(),
        role,
        session: session.id,
        expires: now.plus(TOKEN_LIFETIME_MILLIS),
    });
    audit(
        store,
        account,
        Some(user),
        address,
        "login",
        String::new(),
        now,
    )
    .await?;
    Ok(SessionView {
        token,
        account: account.clone(),
        user: user.clone(),
        role,
        idle_timeout_seconds: SESSION_IDLE_MILLIS / 1000,
    })
}

/// A session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// Ends the caller's session.
pub async fn logout(
    store: &(impl Sessions + AuditLog),
    principal: &Principal,
    address: Option<&str>,
    now: Millis,
) -> Result<LoggedOut, Refused> {
    if principal.session.starts_with(WEB_API_SESSION) {
        return Err(Refused::conflict(
            Conflict::WebApiToken,
            "a Web API token has no session to end; revoke it with DELETE /v1/api-tokens/{id}",
        ));
    }
    store.delete_session(&principal.session).await?;
    audit_own(store, principal, address, "logout", String::new(), now).await?;
    Ok(LoggedOut { logged_out: true })
}
