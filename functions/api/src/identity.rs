//! Login and logout, the account's users, and its audit log.
//!
//! `POST /v1/login` answers a wrong account, user or password alike (401) — and a right
//! one from an address off the allow-list too — and takes as long for a user that does
//! not exist; failed logins are counted per user and address, per address and per user
//! (a slower backstop), and over a limit logins are refused (429) until the window ends.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::auth::{
    api_token_hash, check_password_policy, decoy_hash, hash_password, new_totp_secret, totp_step,
    totp_uri, verify_password, ApiToken, AuditQuery, PasswordReset, Role, Session, TotpState,
    TwoStep, User, API_TOKEN_PREFIX, RESET_VALID_MILLIS, SESSION_IDLE_MILLIS,
    TEMPORARY_LOGIN_MILLIS, TWO_STEP_CHALLENGE_MILLIS,
};
use fieldcloud::domain::ids::{AccountId, UserId};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::sealed::{Sealer, SEALED_PREFIX};
use fieldcloud::domain::token::{Principal, TokenError, TokenKey};
use fieldcloud::ports::{
    Accounts, ApiTokens, AuditLog, Created, Mail, MailedCodes, Mailer, PasswordSet, Resets,
    Sessions, StoreError, Throttle, Users,
};

use crate::audit::{audit, audit_own, login_failed};
use crate::auth::{trial_ended, WEB_API_SESSION};
use crate::error::ApiError;
use crate::mailed_code;
use crate::mailed_code::Code;
use crate::throttle::{claim_login_attempt, recheck_password, user_throttle_key};
use fieldcloud::usecases::caller::own_user;

/// A token is good for 30 days at most, however active its session.
const TOKEN_LIFETIME_MILLIS: i64 = 30 * 24 * 60 * Millis::MINUTE;
/// Audit events one page holds at most, and by default.
const MAX_AUDIT_EVENTS: usize = 500;
const DEFAULT_AUDIT_EVENTS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Account ID (or a Pro account's alternate login ID) and user ID; or, for a Trial,
    /// `email` alone.
    pub account: Option<String>,
    pub user: Option<String>,
    pub email: Option<String>,
    pub password: String,
}

/// Who a login names, before the password is checked.
struct LoginName {
    /// `None` when the name matches no account that can log in this way.
    account: Option<AccountId>,
    user: UserId,
    /// What failed attempts on this name are counted under.
    throttle_key: String,
    /// The one answer to every wrong attempt on this kind of login.
    wrong: fn() -> ApiError,
}

fn wrong_email_or_password() -> ApiError {
    ApiError::unauthorized("e-mail or password is wrong")
}

/// Reads the login's name: account and user IDs (not of a Trial, which has no account
/// login), or a Trial's e-mail address. Unknown names resolve to no account, so that they
/// are refused exactly like a wrong password.
async fn login_name(store: &impl Accounts, request: &LoginRequest) -> Result<LoginName, ApiError> {
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
        _ => Err(ApiError::bad_request(
            "log in with `account`, `user` and `password`, or (Trial) `email` and `password`",
        )),
    }
}

fn wrong_credentials() -> ApiError {
    ApiError::unauthorized("account ID, user ID or password is wrong")
}

/// The one user of a Trial account: it logs in with its e-mail address.
pub fn trial_owner() -> UserId {
    UserId::parse("owner").expect("a valid user ID")
}

/// E-mail addresses are compared without case and surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn login(
    store: &(impl Accounts + Users + Sessions + Throttle + MailedCodes + AuditLog),
    mailer: &impl Mailer,
    key: &TokenKey,
    http: &lambda_http::Request,
    request: LoginRequest,
    now: Millis,
) -> Result<Json, ApiError> {
    let address = crate::auth::source_address(http);
    let address = address.as_deref();
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
    if crate::auth::admit(&account_record, http).is_err() {
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
        return open_session(store, key, &found, generation, address, now).await;
    };
    // Password right; the session waits for the second step's code. The step is stored
    // so that its tries are counted, whichever kind it is; the challenge carries the
    // generation, so a password reset before the second step ends the session it opens.
    let session = format!(
        "{CHALLENGE_PREFIX}{generation}:{:032x}",
        rand::random::<u128>()
    );
    let purpose = mailed_code::login_purpose(&session);
    let method = match (two_step, &found.email) {
        (TwoStep::Email, Some(email)) => {
            mailed_code::send_code(store, mailer, &purpose, email, now).await?;
            "email"
        }
        // Turning the step on needs an address; without one there is nowhere to send the
        // code, and skipping the step would be worse than refusing.
        (TwoStep::Email, None) => {
            return Err(ApiError::conflict(
                "no_email",
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
    Ok(json!({ "two_step": method, "challenge": challenge }))
}

/// The account a login names: an account ID, or a Pro account's alternate login ID. The
/// two share one namespace (an alias is never an account ID), so at most one matches.
async fn login_account(store: &impl Accounts, named: AccountId) -> Result<AccountId, ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoStepLogin {
    pub challenge: String,
    pub code: String,
}

/// The second step of a login: the challenge from the first and an authenticator code,
/// which works once. Wrong codes count against the same throttle as wrong passwords.
pub async fn login_two_step(
    store: &(impl Accounts + Users + Sessions + Throttle + MailedCodes + AuditLog),
    key: &TokenKey,
    http: &lambda_http::Request,
    request: TwoStepLogin,
    now: Millis,
) -> Result<Json, ApiError> {
    let address = crate::auth::source_address(http);
    let address = address.as_deref();
    let challenge = key
        .verify(&request.challenge, now)
        .map_err(|error| match error {
            TokenError::Expired => {
                ApiError::unauthorized("the login challenge expired; log in again")
            }
            _ => ApiError::unauthorized("the login challenge is invalid"),
        })?;
    let generation = challenge
        .session
        .strip_prefix(CHALLENGE_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(generation, _)| generation.parse::<u64>().ok())
        .ok_or_else(|| ApiError::unauthorized("the login challenge is invalid"))?;
    let (account, user) = (challenge.account, challenge.user);
    let found = store
        .user(&account, &user)
        .await?
        .ok_or_else(wrong_credentials)?;
    let purpose = mailed_code::login_purpose(&challenge.session);
    if !mailed_code::attempt(store, &purpose, now).await? {
        return Err(ApiError::unauthorized(
            "this login had its tries or ended; log in again",
        ));
    }
    let name = user_throttle_key(&account, &user);
    let attempt = claim_login_attempt(store, &name, address, now).await?;
    let accepted = match found.two_step() {
        Some(TwoStep::Totp) => {
            let step = match &found.totp {
                Some(state) => totp_step(&totp_secret(key, state)?, &request.code, now),
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
    if crate::auth::admit(&account_record, http).is_err() {
        refused_login(store, &found, address, "address not on the allow-list", now).await?;
        return Err(wrong_code());
    }
    attempt.succeeded(store, now).await?;
    open_session(store, key, &found, generation, address, now).await
}

fn wrong_code() -> ApiError {
    ApiError::unauthorized("the code is wrong or was used already")
}

/// Audits a login refused with the right credentials, and why.
async fn refused_login(
    identity: &impl AuditLog,
    user: &User,
    address: Option<&str>,
    why: &str,
    now: Millis,
) -> Result<(), ApiError> {
    let account = &user.account;
    let detail = why.to_owned();
    audit(
        identity,
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
    identity: &(impl Sessions + AuditLog),
    key: &TokenKey,
    user: &User,
    generation: u64,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let (account, role) = (&user.account, user.role);
    let user = &user.id;
    let session = Session {
        id: format!("{:032x}", rand::random::<u128>()),
        account: account.clone(),
        user: user.clone(),
        role,
        last_active: now,
        generation,
    };
    identity.create_session(&session).await?;
    let token = key.sign(&Principal {
        account: account.clone(),
        user: user.clone(),
        role,
        session: session.id,
        expires: now.plus(TOKEN_LIFETIME_MILLIS),
    });
    audit(
        identity,
        account,
        Some(user),
        address,
        "login",
        String::new(),
        now,
    )
    .await?;
    Ok(json!({
        "token": token,
        "account": account,
        "user": user,
        "role": role,
        "idle_timeout_seconds": SESSION_IDLE_MILLIS / 1000,
    }))
}

/// Starts enrolling the caller's authenticator app: a new secret, not yet asked for at
/// login until a code from the app confirms it. A confirmed one is never replaced this
/// way: a stolen session alone could swap it for the thief's own; turning it off first
/// takes a current code.
pub async fn enroll_totp(
    identity: &(impl Users + Throttle + AuditLog),
    key: &TokenKey,
    principal: &Principal,
    password: crate::mailed_code::Password,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    // The password is asked again: whoever holds a session alone could otherwise put
    // their own authenticator on the user and lock the user out of logging in.
    let user = recheck_password(identity, principal, &password.password, address, now).await?;
    let two_step_on = |message: &str| ApiError::conflict("two_step_on", message.to_owned());
    match user.two_step() {
        Some(TwoStep::Email) => {
            return Err(two_step_on(
                "mailed codes are your second step; turn them off first",
            ))
        }
        Some(TwoStep::Totp) => return Err(totp_on()),
        None => {}
    }
    let secret = new_totp_secret();
    let state = TotpState {
        secret: totp_sealer(key).seal(&secret, rand::random()),
        confirmed: false,
        last_step: 0,
    };
    // Conditional: a confirmation that came between the read and this write wins.
    if !identity
        .set_totp(&principal.account, &principal.user, Some(&state))
        .await?
    {
        return Err(totp_on());
    }
    let uri = totp_uri(&secret, &principal.account, &principal.user).ok_or_else(|| {
        ApiError::bad_request("the account and user IDs cannot name an authenticator entry")
    })?;
    audit_own(
        identity,
        principal,
        address,
        "two_step_enrollment_started",
        "totp".into(),
        now,
    )
    .await?;
    Ok(json!({ "secret": secret, "uri": uri }))
}

/// Authenticator secrets are stored sealed under this key's derived sealer.
fn totp_sealer(key: &TokenKey) -> Sealer {
    Sealer::new(key, "totp")
}

/// The authenticator secret of a stored state.
fn totp_secret(key: &TokenKey, state: &TotpState) -> Result<String, ApiError> {
    if !state.secret.starts_with(SEALED_PREFIX) {
        // Stored before secrets were sealed; sealed when the user enrolls again.
        return Ok(state.secret.clone());
    }
    totp_sealer(key).open(&state.secret).map_err(|_| {
        ApiError::from(StoreError::Corrupt(
            "an authenticator secret does not open: was the token key changed?".into(),
        ))
    })
}

fn totp_on() -> ApiError {
    ApiError::conflict(
        "two_step_on",
        "an authenticator app is your second step already; to use another, turn it off \
         first with a current code (POST /v1/two-step/totp/disable)",
    )
}

/// Confirms enrollment with a code from the app; from then on login asks for codes.
pub async fn confirm_totp(
    identity: &(impl Users + AuditLog),
    key: &TokenKey,
    principal: &Principal,
    code: Code,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let user = own_user(identity, principal).await?;
    let pending = user
        .totp
        .filter(|t| !t.confirmed)
        .ok_or_else(|| ApiError::conflict("not_enrolled", "start with POST /v1/two-step/totp"))?;
    let step = totp_step(&totp_secret(key, &pending)?, &code.code, now)
        .ok_or_else(|| ApiError::bad_request("the code does not match; check the app's clock"))?;
    let confirmed = TotpState {
        confirmed: true,
        last_step: step,
        ..pending
    };
    // Conditional on the very secret the code was checked against still pending.
    if !identity
        .set_totp(&principal.account, &principal.user, Some(&confirmed))
        .await?
    {
        return Err(ApiError::conflict(
            "changed_meanwhile",
            "your authenticator enrollment changed meanwhile; start again",
        ));
    }
    audit_own(
        identity,
        principal,
        address,
        "two_step_enabled",
        "totp".into(),
        now,
    )
    .await?;
    Ok(json!({ "two_step": "totp" }))
}

/// Turns two-step verification off; it takes a current code, so a stolen session alone
/// cannot, and wrong codes take tries from the login throttle, so it cannot guess either.
pub async fn disable_totp(
    identity: &(impl Users + Throttle + AuditLog),
    key: &TokenKey,
    principal: &Principal,
    code: Code,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let name = user_throttle_key(&principal.account, &principal.user);
    let attempt = claim_login_attempt(identity, &name, address, now).await?;
    let user = own_user(identity, principal).await?;
    let valid = match user.totp.as_ref().filter(|t| t.confirmed) {
        Some(state) => totp_step(&totp_secret(key, state)?, &code.code, now),
        None => None,
    };
    let Some(step) = valid else {
        return Err(ApiError::bad_request("the code does not match"));
    };
    if !identity
        .use_totp_step(&principal.account, &principal.user, step)
        .await?
    {
        return Err(ApiError::bad_request("the code was used already"));
    }
    attempt.succeeded(identity, now).await?;
    identity
        .set_totp(&principal.account, &principal.user, None)
        .await?;
    audit_own(
        identity,
        principal,
        address,
        "two_step_disabled",
        "totp".into(),
        now,
    )
    .await?;
    Ok(json!({ "two_step": "none" }))
}

pub async fn logout(
    identity: &(impl Sessions + AuditLog),
    principal: &Principal,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    if principal.session.starts_with(WEB_API_SESSION) {
        return Err(ApiError::conflict(
            "web_api_token",
            "a Web API token has no session to end; revoke it with DELETE /v1/api-tokens/{id}",
        ));
    }
    identity.delete_session(&principal.session).await?;
    audit_own(identity, principal, address, "logout", String::new(), now).await?;
    Ok(json!({ "logged_out": true }))
}

/// A page of the account's audit log, newest first, filtered by the query string:
/// `limit` (1 to 500, 100 by default), `cursor` (a page's `next`), `kind` (an action),
/// `user`, `from` and `to` (milliseconds or RFC 3339; `to` exclusive).
pub async fn audit_log(
    identity: &impl AuditLog,
    principal: &Principal,
    query: &str,
) -> Result<Json, ApiError> {
    let query = audit_query(query)?;
    let page = identity.audit_log(&principal.account, &query).await?;
    let next = page.next.map(|sk| URL_SAFE_NO_PAD.encode(sk));
    Ok(json!({ "events": page.events, "next": next }))
}

fn audit_query(text: &str) -> Result<AuditQuery, ApiError> {
    let mut query = AuditQuery {
        limit: DEFAULT_AUDIT_EVENTS,
        cursor: None,
        kind: None,
        user: None,
        from: None,
        to: None,
    };
    for (name, value) in form_urlencoded::parse(text.as_bytes()) {
        match name.as_ref() {
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_AUDIT_EVENTS).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "`limit` must be a whole number from 1 to {MAX_AUDIT_EVENTS}, got `{value}`"
                        ))
                    })?
            }
            "cursor" => {
                let sk = URL_SAFE_NO_PAD
                    .decode(value.as_bytes())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .filter(|sk| sk.starts_with("AUDIT#"))
                    .ok_or_else(|| {
                        ApiError::bad_request("`cursor` must be the `next` of a page of this log")
                    })?;
                query.cursor = Some(sk);
            }
            "kind" => query.kind = Some(value.into_owned()),
            "user" => {
                let user = UserId::parse(value.as_ref())
                    .map_err(|e| ApiError::bad_request(format!("`user`: {e}")))?;
                query.user = Some(user);
            }
            "from" => query.from = Some(crate::input::parse_time("from", &value)?),
            "to" => query.to = Some(crate::input::parse_time("to", &value)?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{other}`; use limit, cursor, kind, user, from, to"
                )))
            }
        }
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            return Err(ApiError::bad_request("`from` must be before `to`"));
        }
    }
    Ok(query)
}

/// Web API tokens one account may hold.
const MAX_API_TOKENS: u32 = 100;

/// The longest expiry a Web API token can be issued with.
const MAX_TOKEN_DAYS: u32 = 3650;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    pub name: String,
    /// The caller's password, asked again: a stolen session alone must not turn into a
    /// token that outlives it.
    pub password: String,
    /// Days until the token stops working; left out, it works until revoked.
    pub expires_in_days: Option<u32>,
}

fn token_json(token: &ApiToken) -> Json {
    json!({
        "id": token.id,
        "name": token.name,
        "user": token.user,
        "role": token.role,
        "created": token.created,
        "expires": token.expires,
    })
}

/// Revokes every Web API token of `user`: how many there were.
pub async fn revoke_tokens_of(
    identity: &impl ApiTokens,
    account: &AccountId,
    user: &UserId,
) -> Result<usize, ApiError> {
    let mut revoked = 0;
    for token in identity.api_tokens(account).await? {
        if token.user == *user && identity.delete_api_token(&token).await? {
            revoked += 1;
        }
    }
    Ok(revoked)
}

/// After a password change or reset: revokes the user's Web API tokens if asked, and
/// tells how many were revoked and how many still work (which the change leaves alone
/// unless asked, as programs run on them).
pub async fn settle_tokens_after_password(
    identity: &impl ApiTokens,
    account: &AccountId,
    user: &UserId,
    revoke: bool,
) -> Result<Json, ApiError> {
    let revoked = if revoke {
        revoke_tokens_of(identity, account, user).await?
    } else {
        0
    };
    let left = identity
        .api_tokens(account)
        .await?
        .iter()
        .filter(|t| t.user == *user)
        .count();
    Ok(json!({
        "password": "changed",
        "other_sessions": "ended",
        "api_tokens_revoked": revoked,
        "api_tokens_left": left,
    }))
}

/// Who may see and revoke a token: its user, and the account's admins.
fn visible_to(token: &ApiToken, principal: &Principal) -> bool {
    principal.role == Role::Admin || token.user == principal.user
}

pub async fn list_api_tokens(
    identity: &impl ApiTokens,
    principal: &Principal,
) -> Result<Json, ApiError> {
    let mut tokens = identity.api_tokens(&principal.account).await?;
    tokens.retain(|t| visible_to(t, principal));
    tokens.sort_by_key(|t| t.created);
    Ok(json!({ "api_tokens": tokens.iter().map(token_json).collect::<Vec<_>>() }))
}

/// Issues a Web API token (Pro) for the caller, with the caller's role. The secret is in
/// this answer only: it is stored as a hash.
pub async fn issue_api_token(
    store: &(impl Accounts + Users + Throttle + ApiTokens + AuditLog),
    principal: &Principal,
    request: NewApiToken,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let expires = match request.expires_in_days {
        None => None,
        Some(days @ 1..=MAX_TOKEN_DAYS) => {
            Some(now.plus(i64::from(days) * 24 * 60 * Millis::MINUTE))
        }
        Some(days) => {
            return Err(ApiError::bad_request(format!(
                "`expires_in_days` must be 1 to {MAX_TOKEN_DAYS}, got {days}; leave it out for a \
                 token that works until revoked"
            )))
        }
    };
    let plan = store
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?
        .plan;
    if !plan.limits().web_api_tokens {
        return Err(ApiError::forbidden(format!(
            "plan {plan} has no Web API; it comes with pro"
        )));
    }
    if request.name.trim().is_empty() || request.name.chars().count() > 100 {
        return Err(ApiError::bad_request("`name` must be 1 to 100 characters"));
    }
    recheck_password(store, principal, &request.password, address, now).await?;
    let secret = format!("{API_TOKEN_PREFIX}{:032x}", rand::random::<u128>());
    let token = ApiToken {
        id: format!("{:08x}", rand::random::<u32>()),
        account: principal.account.clone(),
        user: principal.user.clone(),
        role: principal.role,
        name: request.name,
        created: now,
        expires,
        hash: api_token_hash(&secret),
    };
    match store.create_api_token(&token, MAX_API_TOKENS).await? {
        Created::Created => {}
        Created::LimitReached => {
            return Err(ApiError::conflict(
                "limit_reached",
                format!(
                    "an account holds at most {MAX_API_TOKENS} Web API tokens; revoke one first"
                ),
            ))
        }
        Created::Exists => {
            return Err(ApiError::conflict(
                "exists",
                "token ID collision; try again",
            ))
        }
    }
    audit_own(
        store,
        principal,
        address,
        "api_token_issued",
        token.id.clone(),
        now,
    )
    .await?;
    let mut body = token_json(&token);
    body["token"] = json!(secret);
    Ok(body)
}

pub async fn revoke_api_token(
    identity: &(impl ApiTokens + AuditLog),
    principal: &Principal,
    id: &str,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let not_found = || ApiError::not_found(format!("Web API token `{id}` not found"));
    let token = identity
        .api_tokens(&principal.account)
        .await?
        .into_iter()
        .find(|t| t.id == id && visible_to(t, principal))
        .ok_or_else(not_found)?;
    if !identity.delete_api_token(&token).await? {
        return Err(not_found());
    }
    audit_own(
        identity,
        principal,
        address,
        "api_token_revoked",
        token.id,
        now,
    )
    .await?;
    Ok(json!({ "revoked": id }))
}

/// A temporary login (for an alarm mail's link): a view-only session of the caller's
/// account that ends 30 minutes from now however it is used.
pub async fn temporary_login(
    identity: &(impl Users + Sessions + AuditLog),
    key: &TokenKey,
    principal: &Principal,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let session = Session {
        id: format!("{:032x}", rand::random::<u128>()),
        account: principal.account.clone(),
        user: principal.user.clone(),
        role: Role::Viewer,
        last_active: now,
        // Its maker's: it ends with their sessions.
        generation: identity
            .session_generation(&principal.account, &principal.user)
            .await?,
    };
    identity.create_session(&session).await?;
    let expires = now.plus(TEMPORARY_LOGIN_MILLIS);
    let token = key.sign(&Principal {
        account: session.account,
        user: session.user,
        role: Role::Viewer,
        session: session.id,
        expires,
    });
    audit_own(
        identity,
        principal,
        address,
        "temporary_login_issued",
        String::new(),
        now,
    )
    .await?;
    Ok(json!({ "token": token, "role": Role::Viewer, "expires": expires }))
}

/// Reset requests one user may cause in a throttle window: each sends a mail.
const MAX_RESETS_PER_USER: u32 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Account and user IDs; or, for a Trial, `email` alone.
    pub account: Option<String>,
    pub user: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetCompletion {
    pub token: String,
    pub password: String,
    /// Also revoke the user's Web API tokens (the reset ends their sessions either way).
    #[serde(default)]
    pub revoke_api_tokens: bool,
}

/// The one answer to every reset request: it does not tell whether the user exists.
fn reset_requested() -> Json {
    json!({ "sent": "if the user exists and has an e-mail address, a reset link is on its way" })
}

/// The shortest time a reset request takes to answer: the one part of its work that
/// differs between a user that exists and one that does not is the mail, and this hides
/// it (SES answers well within it).
const RESET_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(1000);

/// Mails a single-use link, valid 30 minutes, to set a new password. Whatever happens,
/// the answer is the same, so it reveals nothing about accounts and users; and so is the
/// work: every request takes a throttle slot, reads a user and stores a link (one never
/// sent, where there is nobody to send it to), and the answer waits for
/// [`RESET_ANSWER_FLOOR`].
pub async fn request_reset(
    store: &(impl Accounts + Users + Throttle + Resets),
    mailer: &impl Mailer,
    portal_url: &str,
    request: ResetRequest,
    now: Millis,
) -> Result<Json, ApiError> {
    let started = tokio::time::Instant::now();
    let answer = reset_work(store, mailer, portal_url, request, now).await;
    tokio::time::sleep_until(started + RESET_ANSWER_FLOOR).await;
    answer
}

async fn reset_work(
    store: &(impl Accounts + Users + Throttle + Resets),
    mailer: &impl Mailer,
    portal_url: &str,
    request: ResetRequest,
    now: Millis,
) -> Result<Json, ApiError> {
    let (throttle_key, named) = match (request.account, request.user, request.email) {
        (Some(account), Some(user), None) => {
            match AccountId::parse(account.as_str())
                .ok()
                .zip(UserId::parse(user.as_str()).ok())
            {
                Some((account, user)) => (format!("reset:{account}/{user}"), Some((account, user))),
                None => (
                    format!("reset:{}", api_token_hash(&format!("{account}/{user}"))),
                    None,
                ),
            }
        }
        (None, None, Some(email)) => {
            let email = normalize_email(&email);
            match store.account_by_email(&email).await? {
                Some(account) => (
                    format!("reset:{account}/owner"),
                    Some((account, trial_owner())),
                ),
                None => (format!("reset:{}", api_token_hash(&email)), None),
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "name the user with `account` and `user`, or (Trial) `email`",
            ))
        }
    };
    if store
        .claim_attempt(&throttle_key, MAX_RESETS_PER_USER, now)
        .await?
        .is_some()
    {
        return Ok(reset_requested());
    }
    // A name that matches no valid one reads and stores under a stand-in, so that it does
    // the same work; nothing is mailed for it, even if the stand-in exists.
    let real = named.is_some();
    let (account, user) = named.unwrap_or_else(|| {
        (
            AccountId::parse("nobody").expect("a valid account ID"),
            trial_owner(),
        )
    });
    let email = store
        .user(&account, &user)
        .await?
        .and_then(|u| u.email)
        .filter(|_| real);
    let secret = format!("rst_{:032x}", rand::random::<u128>());
    let reset = PasswordReset {
        account: account.clone(),
        user: user.clone(),
        expires: now.plus(RESET_VALID_MILLIS),
    };
    store.create_reset(&api_token_hash(&secret), &reset).await?;
    let Some(email) = email else {
        return Ok(reset_requested());
    };
    // The secret goes in the fragment: browsers do not send it to any server's logs.
    let link = format!(
        "{}/reset-password#token={secret}",
        portal_url.trim_end_matches('/')
    );
    let mail = Mail {
        to: email,
        subject: "fieldcloud: reset your password".into(),
        text: format!(
            "Someone asked to reset the password of user {user} of account {account}.\n\n\
             To choose a new one, open this link within 30 minutes (it works once):\n{link}\n\n\
             If it was not you, ignore this mail; your password stays as it is.\n"
        ),
    };
    mailer.send(&mail).await?;
    Ok(reset_requested())
}

/// Sets a new password with a reset link's secret: within 30 minutes, once.
/// Writes a new password hash and ends every session of the user in the same write;
/// the generation their sessions are in now, or `None` if there is no such user.
pub async fn set_password_ending_sessions(
    store: &impl Users,
    account: &AccountId,
    user: &UserId,
    hash: &str,
) -> Result<Option<u64>, ApiError> {
    // Another change at once moves the generation first; a few rounds settle it.
    for _ in 0..3 {
        let seen = store.session_generation(account, user).await?;
        match store.set_password(account, user, hash, seen).await? {
            PasswordSet::Set { generation } => return Ok(Some(generation)),
            PasswordSet::NoUser => return Ok(None),
            PasswordSet::Raced => continue,
        }
    }
    Err(ApiError::conflict(
        "changed_meanwhile",
        format!("the sessions of `{user}` changed meanwhile; try again"),
    ))
}

pub async fn complete_reset(
    store: &(impl Users + Resets + ApiTokens + AuditLog),
    request: ResetCompletion,
    address: Option<&str>,
    now: Millis,
) -> Result<Json, ApiError> {
    let invalid = || ApiError::unauthorized("the reset link is invalid, used or expired");
    let hash = api_token_hash(&request.token);
    let reset = store.reset(&hash).await?.ok_or_else(invalid)?;
    if now >= reset.expires {
        return Err(invalid());
    }
    // The policy is checked before the link is spent, so a weak choice can be corrected.
    check_password_policy(&request.password, &reset.user).map_err(ApiError::bad_request)?;
    if !store.take_reset(&hash).await? {
        return Err(invalid());
    }
    // Whoever knew the old password may hold a session: all of them end with it.
    let new_hash = hash_password(&request.password);
    if set_password_ending_sessions(store, &reset.account, &reset.user, &new_hash)
        .await?
        .is_none()
    {
        return Err(invalid());
    }
    audit(
        store,
        &reset.account,
        Some(&reset.user),
        address,
        "password_reset",
        String::new(),
        now,
    )
    .await?;
    let (account, user) = (&reset.account, &reset.user);
    settle_tokens_after_password(store, account, user, request.revoke_api_tokens).await
}
