//! Two-step verification by an authenticator app (TOTP): enrolling, confirming with a
//! first code, and turning it off with a current one. Secrets are stored sealed under a
//! key derived from the token key.

use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::auth::{
    totp_secret, totp_step, totp_uri, TotpState, TwoStep, TOTP_SECRET_BYTES,
};
use crate::domain::record::Millis;
use crate::domain::sealed::{Sealer, NONCE_BYTES, SEALED_PREFIX};
use crate::domain::token::{Principal, TokenKey};
use crate::ports::{AuditLog, StoreError, Throttle, Users};

use super::audit::audit_own;
use super::caller::own_user;
use super::mailed_code::{Code, Password, TwoStepView};
use super::random::Random;
use super::throttle::{claim_login_attempt, recheck_password, user_throttle_key};
use super::{Conflict, Refused};

/// A new authenticator secret, not yet confirmed: for the user to put in their app, as
/// text or as the `otpauth://` URI a portal shows as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TotpEnrollment {
    pub secret: String,
    pub uri: String,
}

/// Starts enrolling the caller's authenticator app: a new secret, not yet asked for at
/// login until a code from the app confirms it. A confirmed one is never replaced this
/// way: a stolen session alone could swap it for the thief's own; turning it off first
/// takes a current code.
pub async fn enroll_totp(
    store: &(impl Users + Throttle + AuditLog),
    key: &TokenKey,
    random: &mut impl Random,
    principal: &Principal,
    password: Password,
    address: Option<&str>,
    now: Millis,
) -> Result<TotpEnrollment, Refused> {
    // The password is asked again: whoever holds a session alone could otherwise put
    // their own authenticator on the user and lock the user out of logging in.
    let user = recheck_password(store, principal, &password.password, address, now).await?;
    let two_step_on = |message: &str| Refused::conflict(Conflict::TwoStepOn, message);
    match user.two_step() {
        Some(TwoStep::Email) => {
            return Err(two_step_on(
                "mailed codes are your second step; turn them off first",
            ))
        }
        Some(TwoStep::Totp) => return Err(totp_on()),
        None => {}
    }
    let secret = totp_secret(random.bytes::<TOTP_SECRET_BYTES>());
    let state = TotpState {
        secret: totp_sealer(key).seal(&secret, random.bytes::<NONCE_BYTES>()),
        confirmed: false,
        last_step: 0,
    };
    // Conditional: a confirmation that came between the read and this write wins.
    if !store
        .set_totp(&principal.account, &principal.user, Some(&state))
        .await?
    {
        return Err(totp_on());
    }
    let uri = totp_uri(&secret, &principal.account, &principal.user).ok_or_else(|| {
        Refused::invalid("the account and user IDs cannot name an authenticator entry")
    })?;
    audit_own(
        store,
        principal,
        address,
        "two_step_enrollment_started",
        "totp".into(),
        now,
    )
    .await?;
    Ok(TotpEnrollment { secret, uri })
}

/// Authenticator secrets are stored sealed under this key's derived sealer.
fn totp_sealer(key: &TokenKey) -> Sealer {
    Sealer::new(key, "totp")
}

/// The authenticator secret of a stored state.
pub(super) fn stored_secret(key: &TokenKey, state: &TotpState) -> Result<String, Refused> {
    if !state.secret.starts_with(SEALED_PREFIX) {
        // Stored before secrets were sealed; sealed when the user enrolls again.
        return Ok(state.secret.clone());
    }
    totp_sealer(key).open(&state.secret).map_err(|_| {
        Refused::Store(StoreError::Corrupt(
            "an authenticator secret does not open: was the token key changed?".into(),
        ))
    })
}

fn totp_on() -> Refused {
    Refused::conflict(
        Conflict::TwoStepOn,
        "an authenticator app is your second step already; to use another, turn it off \
         first with a current code (POST /v1/two-step/totp/disable)",
    )
}

/// Confirms enrollment with a code from the app; from then on login asks for codes.
/// Wrong codes take tries from the login throttle: a stolen session cannot guess its way
/// into confirming a secret the user abandoned.
pub async fn confirm_totp(
    store: &(impl Users + Throttle + AuditLog),
    key: &TokenKey,
    principal: &Principal,
    code: Code,
    address: Option<&str>,
    now: Millis,
) -> Result<TwoStepView, Refused> {
    let user = own_user(store, principal).await?;
    let pending = user.totp.filter(|t| !t.confirmed).ok_or_else(|| {
        Refused::conflict(Conflict::NotEnrolled, "start with POST /v1/two-step/totp")
    })?;
    // Only a code tried against a pending secret takes a try: nothing to guess, no slot.
    let name = user_throttle_key(&principal.account, &principal.user);
    let attempt = claim_login_attempt(store, &name, address, now).await?;
    let step = totp_step(&stored_secret(key, &pending)?, &code.code, now)
        .ok_or_else(|| Refused::invalid("the code does not match; check the app's clock"))?;
    let confirmed = TotpState {
        confirmed: true,
        last_step: step,
        ..pending
    };
    attempt.succeeded(store, now).await?;
    // Conditional on the very secret the code was checked against still pending.
    if !store
        .set_totp(&principal.account, &principal.user, Some(&confirmed))
        .await?
    {
        return Err(Refused::conflict(
            Conflict::ChangedMeanwhile,
            "your authenticator enrollment changed meanwhile; start again",
        ));
    }
    audit_own(
        store,
        principal,
        address,
        "two_step_enabled",
        "totp".into(),
        now,
    )
    .await?;
    Ok(TwoStepView { two_step: "totp" })
}

/// Turns two-step verification off; it takes a current code, so a stolen session alone
/// cannot, and wrong codes take tries from the login throttle, so it cannot guess either.
pub async fn disable_totp(
    store: &(impl Users + Throttle + AuditLog),
    key: &TokenKey,
    principal: &Principal,
    code: Code,
    address: Option<&str>,
    now: Millis,
) -> Result<TwoStepView, Refused> {
    let name = user_throttle_key(&principal.account, &principal.user);
    let attempt = claim_login_attempt(store, &name, address, now).await?;
    let user = own_user(store, principal).await?;
    let valid = match user.totp.as_ref().filter(|t| t.confirmed) {
        Some(state) => totp_step(&stored_secret(key, state)?, &code.code, now),
        None => None,
    };
    let Some(step) = valid else {
        return Err(Refused::invalid("the code does not match"));
    };
    if !store
        .use_totp_step(&principal.account, &principal.user, step)
        .await?
    {
        return Err(Refused::invalid("the code was used already"));
    }
    attempt.succeeded(store, now).await?;
    store
        .set_totp(&principal.account, &principal.user, None)
        .await?;
    audit_own(
        store,
        principal,
        address,
        "two_step_disabled",
        "totp".into(),
        now,
    )
    .await?;
    Ok(TwoStepView { two_step: "none" })
}
