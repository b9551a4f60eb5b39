//! Bearer tokens: who is calling, for which account, until when — signed with HMAC-SHA256
//! so any `api` instance can check one without a table read.
//!
//! Shape: `fc1.<base64url(claims JSON)>.<base64url(HMAC of the first two parts)>`. The
//! key comes from the environment (SSM in AWS). The login flows mint the same tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::auth::Role;
use super::ids::{AccountId, UserId};
use super::record::Millis;

const PREFIX: &str = "fc1";
/// Shorter keys make HMAC brute-forceable; refuse to run with one.
pub const MIN_KEY_BYTES: usize = 32;

/// The authenticated caller: every data route is scoped by its account. A token is only
/// good while its session lives (idle limit, logout), which the API checks after the
/// signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    #[serde(rename = "acc")]
    pub account: AccountId,
    #[serde(rename = "usr")]
    pub user: UserId,
    #[serde(rename = "rol")]
    pub role: Role,
    /// The session the token belongs to.
    #[serde(rename = "sid")]
    pub session: String,
    /// Expiry, milliseconds since the epoch.
    #[serde(rename = "exp")]
    pub expires: Millis,
}

/// Why a token was refused. The message is safe to return to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token expired")]
    Expired,
}

/// A signing key, checked for length once at start-up.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl TokenKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<TokenKey, String> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "token key is {} bytes; at least {MIN_KEY_BYTES} are required",
                bytes.len()
            ));
        }
        Ok(TokenKey(bytes))
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length")
    }

    /// A key for another purpose, derived from this one (HMAC-SHA256 of `label`): one
    /// secret to keep in SSM, and a key that signs tokens is never also one that
    /// encrypts, nor the other way round.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(b"fieldcloud derived key\n");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Signs a principal into a token.
    pub fn sign(&self, principal: &Principal) -> String {
        let claims = serde_json::to_vec(principal).expect("claims serialize");
        let body = format!("{PREFIX}.{}", URL_SAFE_NO_PAD.encode(claims));
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{signature}")
    }

    /// Checks a token's signature (in constant time) and expiry at `now`.
    pub fn verify(&self, token: &str, now: Millis) -> Result<Principal, TokenError> {
        let (body, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let claims = body
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| TokenError::Malformed)?;
        let principal: Principal =
            serde_json::from_slice(&claims).map_err(|_| TokenError::Malformed)?;
        if now >= principal.expires {
            return Err(TokenError::Expired);
        }
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TokenKey {
        TokenKey::new(vec![byte; 32]).unwrap()
    }

    fn principal() -> Principal {
        Principal {
            account: AccountId::parse("acme").unwrap(),
            user: UserId::parse("ops").unwrap(),
            role: Role::Member,
            session: "s1".into(),
            expires: Millis(2_000),
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = key(1).sign(&principal());
        assert_eq!(key(1).verify(&token, Millis(1_999)), Ok(principal()));
        assert_eq!(
            key(1).verify(&token, Millis(2_000)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn another_key_or_a_changed_claim_is_refused() {
        let token = key(1).sign(&principal());
        assert_eq!(
            key(2).verify(&token, Millis(0)),
            Err(TokenError::BadSignature)
        );
        let forged_claims = URL_SAFE_NO_PAD
            .encode(br#"{"acc":"other","usr":"ops","rol":"admin","sid":"s1","exp":2000}"#);
        let signature = token.rsplit_once('.').unwrap().1;
        let forged = format!("fc1.{forged_claims}.{signature}");
        assert_eq!(
            key(1).verify(&forged, Millis(0)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for token in ["", "fc1", "fc1.abc", "xx.abc.def", "fc1.abc.!!!"] {
            assert_eq!(
                key(1).verify(token, Millis(0)),
                Err(TokenError::Malformed),
                "{token}"
            );
        }
    }

    #[test]
    fn derived_keys_differ_by_label_and_by_key() {
        assert_eq!(key(1).derive("a"), key(1).derive("a"));
        assert_ne!(key(1).derive("a"), key(1).derive("b"));
        assert_ne!(key(1).derive("a"), key(2).derive("a"));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(TokenKey::new(vec![0; 31]).is_err());
    }
}
