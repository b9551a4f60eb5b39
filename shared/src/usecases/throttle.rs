//! Failed-login throttles: a slot of each throttle is claimed before a password or code
//! is checked, so parallel guesses get no more than sequential ones, and given back when
//! the attempt succeeds. Passwords asked again before sensitive changes count too.

use crate::domain::auth::{login_throttles, verify_password, User};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::domain::token::Principal;
use crate::ports::{Throttle, Users};

use super::caller::own_user;
use super::Refused;

/// Asks for the caller's own password again before a sensitive change. Wrong ones count
/// against the user's login throttle, so a stolen session cannot guess at leisure.
pub async fn recheck_password(
    store: &(impl Users + Throttle),
    principal: &Principal,
    password: &str,
    address: Option<&str>,
    now: Millis,
) -> Result<User, Refused> {
    let name = user_throttle_key(&principal.account, &principal.user);
    let attempt = claim_login_attempt(store, &name, address, now).await?;
    let user = own_user(store, principal).await?;
    if !verify_password(password, &user.password_hash) {
        return Err(Refused::invalid("the password is wrong"));
    }
    attempt.succeeded(store, now).await?;
    Ok(user)
}

/// What a user's failed logins (and rechecked passwords, and second-step codes) are
/// counted under.
pub fn user_throttle_key(account: &AccountId, user: &UserId) -> String {
    format!("user:{account}/{user}")
}

/// The throttle slots one attempt took (see [`login_throttles`]); they stay taken when
/// it fails and are given back when it succeeds.
#[must_use = "a successful attempt gives its slots back"]
pub struct LoginAttempt(Vec<String>);

impl LoginAttempt {
    pub async fn succeeded(self, store: &impl Throttle, now: Millis) -> Result<(), Refused> {
        for key in &self.0 {
            store.release_attempt(key, now).await?;
        }
        Ok(())
    }
}

/// Takes a slot of each of the throttles of a login on `name` from `address` before the
/// attempt is checked, so parallel guesses get no more than sequential ones: too many
/// when one of them is spent (and the slots taken so far are given back).
pub async fn claim_login_attempt(
    store: &impl Throttle,
    name: &str,
    address: Option<&str>,
    now: Millis,
) -> Result<LoginAttempt, Refused> {
    let mut taken = LoginAttempt(Vec::new());
    for (key, max) in login_throttles(name, address) {
        if let Some(until) = store.claim_attempt(&key, max, now).await? {
            taken.succeeded(store, now).await?;
            return Err(too_many_failures(until));
        }
        taken.0.push(key);
    }
    Ok(taken)
}

fn too_many_failures(until: Millis) -> Refused {
    Refused::TooMany(format!(
        "too many failed logins; try again after {}",
        until.iso()
    ))
}
