//! Trial sign-up (SPEC.md 3 and 9): a Trial has no account login, only an e-mail address
//! and a password, and ends 93 days after it was created.
//!
//! Asking for one mails a confirmation link (valid 24 hours, once) and always answers
//! alike, so it does not reveal which addresses have a Trial; confirming creates the
//! account with its one user and logs in. The address is claimed in the same transaction
//! as the account, so two confirmations can never make two Trials for one address.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::auth::{
    api_token_hash, check_email, check_password_policy, hash_password, Role, Signup, User,
    SIGNUP_VALID_MILLIS,
};
use crate::domain::ids::AccountId;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::token::TokenKey;
use crate::ports::{Accounts, AuditLog, Mail, Mailer, Sessions, Signups, Throttle, Users};

use super::login::{normalize_email, open_session, trial_owner, SessionView};
use super::random::Random;
use super::{Conflict, Refused};

/// Sign-up mails one address may be sent in a throttle window.
const MAX_SIGNUP_MAILS: u32 = 3;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrialRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrialConfirmation {
    pub token: String,
}

/// The one answer to every sign-up: it does not tell whether the address has a Trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SignupRequested {
    pub sent: &'static str,
}

fn signup_requested() -> SignupRequested {
    SignupRequested {
        sent: "a confirmation link is on its way to the address",
    }
}

/// Starts a Trial: checks the address and the password policy, then mails a link.
pub async fn request_trial(
    store: &(impl Accounts + Throttle + Signups),
    mailer: &impl Mailer,
    random: &mut impl Random,
    portal_url: &str,
    request: TrialRequest,
    now: Millis,
) -> Result<SignupRequested, Refused> {
    let email = normalize_email(&request.email);
    check_email(&email).map_err(|e| Refused::invalid(format!("`email`: {e}")))?;
    check_password_policy(&request.password, &trial_owner()).map_err(Refused::Invalid)?;
    if normalize_email(&request.password) == email {
        return Err(Refused::invalid(
            "the password needs to differ from the e-mail address",
        ));
    }
    let key = format!("signup:{email}");
    if store
        .claim_attempt(&key, MAX_SIGNUP_MAILS, now)
        .await?
        .is_some()
    {
        return Ok(signup_requested());
    }
    // Hashed whether or not the address has a trial, so the answer takes as long.
    let password_hash = hash_password(&request.password);
    let portal = portal_url.trim_end_matches('/');
    let mail = if store.account_by_email(&email).await?.is_some() {
        Mail {
            to: email,
            subject: "fieldcloud: you have a trial already".into(),
            text: format!(
                "Someone asked for a fieldcloud trial with this address, which has one \
                 already.\n\nLog in with this address and your password at {portal}/login\n\n\
                 If it was not you, ignore this mail.\n"
            ),
        }
    } else {
        let secret = format!("sgn_{:032x}", random.u128());
        let signup = Signup {
            email: email.clone(),
            password_hash,
            expires: now.plus(SIGNUP_VALID_MILLIS),
        };
        store
            .create_signup(&api_token_hash(&secret), &signup)
            .await?;
        Mail {
            to: email,
            subject: "fieldcloud: confirm your trial".into(),
            text: format!(
                "To start your fieldcloud trial, open this link within 24 hours (it works \
                 once):\n{portal}/trial#token={secret}\n\nThe trial lasts 93 days. If you did \
                 not ask for it, ignore this mail.\n"
            ),
        }
    };
    mailer.send(&mail).await?;
    Ok(signup_requested())
}

/// Confirms a sign-up: creates the Trial account and its user, and logs in.
pub async fn confirm_trial(
    store: &(impl Accounts + Users + Sessions + Signups + AuditLog),
    key: &TokenKey,
    random: &mut impl Random,
    request: TrialConfirmation,
    address: Option<&str>,
    now: Millis,
) -> Result<SessionView, Refused> {
    let invalid =
        || Refused::NotAuthenticated("the confirmation link is invalid, used or expired".into());
    let hash = api_token_hash(&request.token);
    let signup = store.signup(&hash).await?.ok_or_else(invalid)?;
    if now >= signup.expires || !store.take_signup(&hash).await? {
        return Err(invalid());
    }
    let id = AccountId::parse(format!("trial-{:016x}", random.u64())).expect("a valid account ID");
    let mut account = Account::new(id, signup.email.clone(), Plan::Trial, now);
    account.contract_email = Some(signup.email.clone());
    let owner = User {
        account: account.id.clone(),
        id: trial_owner(),
        role: Role::Admin,
        password_hash: signup.password_hash,
        totp: None,
        email_two_step: false,
        email: Some(signup.email.clone()),
    };
    if !store.create_trial(&account, &owner).await? {
        return Err(Refused::conflict(
            Conflict::Exists,
            format!("{} has a trial already; log in with it", signup.email),
        ));
    }
    let generation = store.session_generation(&account.id, &owner.id).await?;
    open_session(store, key, random, &owner, generation, address, now).await
}
