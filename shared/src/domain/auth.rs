//! Who may log in and for how long: password policy and hashing, roles, the session idle
//! rule and the failed-login throttle (SPEC.md 9). Pure: time is a parameter.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{AccountId, UserId};
use super::record::Millis;
use super::text::invisible;

/// What a user may do in their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users, groups, apps and the audit log.
    Admin,
    /// The data of the account: monitoring, series, calculated channels.
    Member,
    /// Looks, nothing more: what a temporary login URL gives.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// A user of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub account: AccountId,
    pub id: UserId,
    pub role: Role,
    /// PHC string from [`hash_password`]; the password itself is never stored.
    pub password_hash: String,
    /// Two-step verification with an authenticator app.
    pub totp: Option<TotpState>,
    /// Where password-reset links, sign-in codes (and later, notifications) go.
    pub email: Option<String>,
    /// Two-step verification by a code mailed to `email` at each login.
    pub email_two_step: bool,
}

/// How a user proves a login beyond the password (SPEC.md 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoStep {
    /// A code mailed at each login.
    Email,
    /// A code from an authenticator app (TOTP).
    Totp,
}

impl User {
    /// The user's second step, if any. One at a time: turning one on needs the other off.
    pub fn two_step(&self) -> Option<TwoStep> {
        if self.totp.as_ref().is_some_and(|t| t.confirmed) {
            Some(TwoStep::Totp)
        } else if self.email_two_step {
            Some(TwoStep::Email)
        } else {
            None
        }
    }
}

/// A mailed code is good for this long, and once.
pub const MAILED_CODE_MILLIS: i64 = 10 * Millis::MINUTE;

/// The stored form of a mailed code, bound to what it is for (`purpose`), so a code
/// mailed for one purpose cannot be spent on another.
pub fn mailed_code_hash(purpose: &str, code: &str) -> String {
    api_token_hash(&format!("{purpose}\n{}", code.trim()))
}

/// Checks an e-mail address enough to refuse typos and injection (no spaces, no line
/// breaks, nothing invisible, one `@` with text on both sides, at most 254 bytes);
/// deliverability is the mail service's business.
pub fn check_email(email: &str) -> Result<(), String> {
    let valid = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || invisible(c))
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(())
    } else {
        Err(format!("`{email}` is not an e-mail address"))
    }
}

/// A Trial sign-up waiting for its e-mail address to be confirmed; stored under the hash
/// of the mailed link's secret. The password is hashed when it is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub email: String,
    pub password_hash: String,
    pub expires: Millis,
}

/// A sign-up link is good for this long, and once.
pub const SIGNUP_VALID_MILLIS: i64 = 24 * 60 * Millis::MINUTE;

/// A password reset link is good for this long, and once.
pub const RESET_VALID_MILLIS: i64 = 30 * Millis::MINUTE;

/// A pending password reset, stored under the hash of its link's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub account: AccountId,
    pub user: UserId,
    pub expires: Millis,
}

/// A user's authenticator-app secret, and whether it has been confirmed with a code (only
/// then does login ask for one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpState {
    /// As stored: sealed (`domain::sealed`), base32 inside, as authenticator apps take it.
    pub secret: String,
    pub confirmed: bool,
    /// The newest time step a code was accepted for: a code works once (RFC 6238 5.2).
    pub last_step: u64,
}

/// The time step of TOTP codes, seconds.
const TOTP_STEP_SECONDS: u64 = 30;
/// A login challenge (password right, code pending) is good for this long.
pub const TWO_STEP_CHALLENGE_MILLIS: i64 = 5 * Millis::MINUTE;

fn totp(secret_base32: &str, label: &str) -> Option<totp_rs::TOTP> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .ok()?;
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        TOTP_STEP_SECONDS,
        secret,
        Some("fieldcloud".into()),
        label.to_owned(),
    )
    .ok()
}

/// Bytes of an authenticator secret: 160 bits.
pub const TOTP_SECRET_BYTES: usize = 20;

/// An authenticator secret of `random` bytes (the caller brings them), base32.
pub fn totp_secret(random: [u8; TOTP_SECRET_BYTES]) -> String {
    totp_rs::Secret::Raw(random.to_vec())
        .to_encoded()
        .to_string()
}

/// The `otpauth://` URI a portal turns into a QR code for the user's authenticator app.
pub fn totp_uri(secret_base32: &str, account: &AccountId, user: &UserId) -> Option<String> {
    Some(totp(secret_base32, &format!("{account}/{user}"))?.get_url())
}

/// The time step `code` is valid for at `now` (the current one or a neighbour, for clock
/// drift), or `None`.
pub fn totp_step(secret_base32: &str, code: &str, now: Millis) -> Option<u64> {
    let totp = totp(secret_base32, "check")?;
    let current = u64::try_from(now.0 / 1000).ok()? / TOTP_STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * TOTP_STEP_SECONDS) == code.trim())
}

/// A login session: its token is signed, but only good while this lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// 128 random bits, hex.
    pub id: String,
    pub account: AccountId,
    pub user: UserId,
    pub role: Role,
    pub last_active: Millis,
    /// The user's session generation when the session began: a password change or
    /// reset, a new role and deletion move the user's on, which ends every session of an
    /// older one at once (see `Users::set_password`).
    pub generation: u64,
}

/// A Web API token (Pro): a long-lived secret for programs. Only its SHA-256 is stored;
/// the secret is shown once, when it is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Short public ID, for listing and revoking (8 hex digits).
    pub id: String,
    pub account: AccountId,
    pub user: UserId,
    pub role: Role,
    pub name: String,
    pub created: Millis,
    /// When it stops working, if it was issued with an expiry.
    pub expires: Option<Millis>,
    /// SHA-256 of the secret, hex.
    pub hash: String,
}

/// The prefix that tells a Web API token from a login token.
pub const API_TOKEN_PREFIX: &str = "fcapi_";

/// The stored form of a Web API token's secret. A hash without salt suffices: the secret
/// is 128 random bits, not a password a person chose.
pub fn api_token_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One entry of an account's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AuditEvent {
    /// When it happened; for folded failures, the first of them.
    pub at: Millis,
    /// `login`, `login_failed`, `logout`, `user_created`, `group_deleted`, …
    pub action: String,
    pub user: Option<UserId>,
    /// The source address of the request.
    pub address: Option<String>,
    pub detail: String,
    /// How many times it happened: more than one for failures folded into one entry.
    pub count: u32,
    /// For folded failures, the latest of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Millis>,
}

/// Repeated failures are folded into one audit entry per (action, user, address, detail)
/// per window of this length, so that a flood of them costs a bounded number of items.
pub const AUDIT_FOLD_MILLIS: i64 = THROTTLE_WINDOW_MILLIS;

/// The start of the fold window `at` falls in.
pub fn fold_window(at: Millis) -> Millis {
    Millis(at.0 - at.0.rem_euclid(AUDIT_FOLD_MILLIS))
}

/// What failures fold on: the same action, user, address and detail (hashed, so that an
/// address of any length makes a key of one length).
pub fn fold_key(event: &AuditEvent) -> String {
    let user = event.user.as_ref().map_or("", UserId::as_str);
    let address = event.address.as_deref().unwrap_or("");
    let key = api_token_hash(&format!(
        "{}\n{user}\n{address}\n{}",
        event.action, event.detail
    ));
    key[..32].to_owned()
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries one page holds at most.
    pub limit: usize,
    /// Where the previous page ended (from its `next`).
    pub cursor: Option<String>,
    /// Only entries of this action.
    pub kind: Option<String>,
    /// Only entries of this user.
    pub user: Option<UserId>,
    /// Only entries at or after this time (folded failures: whose window starts so).
    pub from: Option<Millis>,
    /// Only entries before this time.
    pub to: Option<Millis>,
}

/// A page of the audit log and where the next one starts, if there is more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<String>,
}

/// Checks the password policy: at least 8 characters with a digit, an upper-case and a
/// lower-case letter, and not the user ID. The error lists everything that is missing.
pub fn check_password_policy(password: &str, user: &UserId) -> Result<(), String> {
    let mut missing = Vec::new();
    if password.chars().count() < 8 {
        missing.push("at least 8 characters");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit");
    }
    if !password.chars().any(char::is_uppercase) {
        missing.push("an upper-case letter");
    }
    if !password.chars().any(char::is_lowercase) {
        missing.push("a lower-case letter");
    }
    if password.eq_ignore_ascii_case(user.as_str()) {
        missing.push("to differ from the user ID");
    }
    if password.len() > 1024 {
        missing.push("at most 1024 bytes");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the password needs {}", missing.join(", ")))
    }
}

/// Hashes a password with Argon2id (memory-hard; OWASP's parameters: 19 MiB, 2 passes)
/// and a random salt, as a PHC string that carries its own parameters.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("Argon2 with default parameters accepts any password")
        .to_string()
}

/// Whether `password` matches a PHC string from [`hash_password`]. A malformed stored
/// hash matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A real hash of no one's password, verified when the user does not exist, so that a
/// wrong user ID takes as long to refuse as a wrong password. Computed once per process.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no one's password"))
}

/// A temporary login URL is good for this long, however it is used.
pub const TEMPORARY_LOGIN_MILLIS: i64 = 30 * Millis::MINUTE;

/// Sessions end after this long without a request.
pub const SESSION_IDLE_MILLIS: i64 = 24 * 60 * Millis::MINUTE;
/// A session's last activity is written at most this often: a write per request would
/// double what every request costs.
pub const SESSION_TOUCH_MILLIS: i64 = Millis::MINUTE;

/// Whether a session last active at `last_active` is still alive at `now`.
pub fn session_alive(last_active: Millis, now: Millis) -> bool {
    now.0 - last_active.0 < SESSION_IDLE_MILLIS
}

/// Whether a live session's activity should be written now.
pub fn session_needs_touch(last_active: Millis, now: Millis) -> bool {
    now.0 - last_active.0 >= SESSION_TOUCH_MILLIS
}

/// Failed logins are counted per user and address, per address and per user in windows
/// of this length.
pub const THROTTLE_WINDOW_MILLIS: i64 = 15 * Millis::MINUTE;
/// Failures one user may have from one source address in a window before logins of that
/// user from that address are refused.
pub const MAX_FAILURES_PER_USER_AT_ADDRESS: u32 = 5;
/// Failures one source address may have in a window (it may try many user IDs).
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// Failures one user may have from all addresses together in a window: the slower
/// backstop against guessing from many addresses. A flood from one address reaches it
/// only by [`MAX_FAILURES_PER_USER_AT_ADDRESS`] a window, so a stranger needs ten
/// addresses to lock the user out.
pub const MAX_FAILURES_PER_USER_ANYWHERE: u32 = 50;

/// The throttle counters one login attempt on `name` (what a user logs in as, e.g.
/// `user:acme/ann`) from `address` takes a slot of, in the order they are claimed, each
/// with its limit. The narrowest comes first: an address that has spent its tries on a
/// user is refused before it can count against the user anywhere else.
pub fn login_throttles(name: &str, address: Option<&str>) -> Vec<(String, u32)> {
    let at = address.unwrap_or("unknown");
    let mut throttles = vec![(format!("{name}@{at}"), MAX_FAILURES_PER_USER_AT_ADDRESS)];
    if let Some(address) = address {
        throttles.push((format!("address:{address}"), MAX_FAILURES_PER_ADDRESS));
    }
    throttles.push((name.to_owned(), MAX_FAILURES_PER_USER_ANYWHERE));
    throttles
}

/// A count of failed logins since `window_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub window_start: Millis,
    pub count: u32,
}

/// When logins may be tried again, if `failures` block them at `now`.
pub fn throttled_until(failures: Option<Failures>, max: u32, now: Millis) -> Option<Millis> {
    let failures = failures?;
    let ends = failures.window_start.plus(THROTTLE_WINDOW_MILLIS);
    (failures.count >= max && now < ends).then_some(ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn email_addresses_are_checked_for_shape() {
        assert!(check_email("ops@example.com").is_ok());
        for bad in [
            "ops",
            "@example.com",
            "ops@example",
            "ops@ex ample.com",
            "a@b@c.com",
            "ops@example.com\r\nBcc: x@y.z",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_policy_names_everything_a_password_lacks() {
        assert_eq!(
            check_password_policy("abc", &user("ops")),
            Err("the password needs at least 8 characters, a digit, an upper-case letter".into())
        );
        assert_eq!(
            check_password_policy("Operator1", &user("operator1")),
            Err("the password needs to differ from the user ID".into())
        );
        assert!(check_password_policy("Measure4Me", &user("ops")).is_ok());
    }

    #[test]
    fn argon2id_hashes_verify_and_differ_by_salt() {
        let hash = hash_password("Measure4Me");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("Measure4Me", &hash));
        assert!(!verify_password("measure4me", &hash));
        assert_ne!(hash, hash_password("Measure4Me"));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
        assert!(
            decoy_hash().starts_with("$argon2id$"),
            "a real hash, as slow to check"
        );
    }

    #[test]
    fn totp_codes_follow_rfc_6238_with_a_fixed_clock() {
        // RFC 6238 appendix B: SHA-1, secret "12345678901234567890", T = 59 s gives
        // 94287082; six digits are its last six.
        let secret = totp_rs::Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        assert_eq!(totp_step(&secret, "287082", Millis(59_000)), Some(1));
        // At T = 1111111109 s the eight-digit code is 07081804.
        assert_eq!(
            totp_step(&secret, "081804", Millis(1_111_111_109_000)),
            Some(37_037_036)
        );
        assert_eq!(
            totp_step(&secret, "081804", Millis(1_111_111_109_000 + 61_000)),
            None,
            "two steps later"
        );
        assert_eq!(totp_step(&secret, "000000", Millis(59_000)), None);
        let uri = totp_uri(
            &secret,
            &AccountId::parse("acme").unwrap(),
            &UserId::parse("ops").unwrap(),
        )
        .unwrap();
        assert!(
            uri.starts_with("otpauth://totp/fieldcloud:acme%2Fops?secret="),
            "{uri}"
        );
    }

    #[test]
    fn a_session_ends_after_24_hours_without_activity() {
        let last = Millis(1_000_000);
        assert!(session_alive(last, last.plus(SESSION_IDLE_MILLIS - 1)));
        assert!(!session_alive(last, last.plus(SESSION_IDLE_MILLIS)));
        assert!(!session_needs_touch(
            last,
            last.plus(SESSION_TOUCH_MILLIS - 1)
        ));
        assert!(session_needs_touch(last, last.plus(SESSION_TOUCH_MILLIS)));
    }

    #[test]
    fn a_login_is_counted_per_user_at_its_address_per_address_and_per_user() {
        assert_eq!(
            login_throttles("user:acme/ann", Some("203.0.113.7")),
            vec![
                ("user:acme/ann@203.0.113.7".to_owned(), 5),
                ("address:203.0.113.7".to_owned(), 20),
                ("user:acme/ann".to_owned(), 50),
            ]
        );
        assert_eq!(
            login_throttles("email:a@b.example", None),
            vec![
                ("email:a@b.example@unknown".to_owned(), 5),
                ("email:a@b.example".to_owned(), 50),
            ]
        );
        // The backstop is slower: one address alone never reaches it.
        const { assert!(MAX_FAILURES_PER_USER_AT_ADDRESS < MAX_FAILURES_PER_USER_ANYWHERE) };
    }

    #[test]
    fn failures_fold_per_action_user_address_and_detail_per_window() {
        let event = |user: &str, address: &str, detail: &str| AuditEvent {
            at: Millis(0),
            action: "login_failed".into(),
            user: Some(UserId::parse(user).unwrap()),
            address: Some(address.into()),
            detail: detail.into(),
            count: 1,
            last: None,
        };
        let base = fold_key(&event("ann", "203.0.113.7", ""));
        assert_eq!(base, fold_key(&event("ann", "203.0.113.7", "")));
        assert_eq!(base.len(), 32);
        for other in [
            event("bob", "203.0.113.7", ""),
            event("ann", "203.0.113.8", ""),
            event("ann", "203.0.113.7", "second-step code"),
        ] {
            assert_ne!(base, fold_key(&other), "{other:?}");
        }
        let window = Millis(1_800_000_000_000);
        assert_eq!(fold_window(window), window, "on a window's start");
        assert_eq!(fold_window(window.plus(AUDIT_FOLD_MILLIS - 1)), window);
        assert_eq!(
            fold_window(window.plus(AUDIT_FOLD_MILLIS)),
            window.plus(AUDIT_FOLD_MILLIS)
        );
    }

    #[test]
    fn failed_logins_block_until_the_window_ends() {
        let start = Millis(0);
        let at = |count| {
            Some(Failures {
                window_start: start,
                count,
            })
        };
        assert_eq!(throttled_until(at(4), 5, Millis(1)), None);
        assert_eq!(
            throttled_until(at(5), 5, Millis(1)),
            Some(start.plus(THROTTLE_WINDOW_MILLIS))
        );
        assert_eq!(
            throttled_until(at(5), 5, start.plus(THROTTLE_WINDOW_MILLIS)),
            None
        );
        assert_eq!(throttled_until(None, 5, Millis(1)), None);
    }
}
