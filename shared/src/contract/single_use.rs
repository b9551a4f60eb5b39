//! The contracts of the single-use secrets: [`MailedCodes`], [`Resets`], [`Signups`].

use crate::domain::auth::{PasswordReset, Signup};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{MailedCodes, Resets, Signups};

/// Holds `store` to the contract of [`MailedCodes`], on purposes that start with
/// `prefix`: a code is taken once, with its hash and before it expires; attempts are
/// counted up to the limit.
pub async fn mailed_codes(store: &impl MailedCodes, prefix: &str) {
    let purpose = format!("{prefix}-login-ann");
    let now = Millis(1_000);
    let expires = Millis(2_000);
    store
        .create_mailed_code(&purpose, Some("h1"), expires)
        .await
        .unwrap();
    assert!(!store
        .take_mailed_code(&purpose, "wrong", now)
        .await
        .unwrap());
    assert!(
        !store
            .take_mailed_code(&purpose, "h1", expires)
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        store.take_mailed_code(&purpose, "h1", now).await.unwrap(),
        "a wrong code left it"
    );
    assert!(
        !store.take_mailed_code(&purpose, "h1", now).await.unwrap(),
        "taken once"
    );

    // Attempts: up to the limit, while the step is open.
    store
        .create_mailed_code(&purpose, Some("h2"), expires)
        .await
        .unwrap();
    assert!(
        !store.count_attempt(&purpose, 0, now).await.unwrap(),
        "a limit of none refuses even the first"
    );
    assert!(store.count_attempt(&purpose, 2, now).await.unwrap());
    assert!(store.count_attempt(&purpose, 2, now).await.unwrap());
    assert!(
        !store.count_attempt(&purpose, 2, now).await.unwrap(),
        "the limit"
    );
    assert!(
        store.take_mailed_code(&purpose, "h2", now).await.unwrap(),
        "the count alone does not end it"
    );
    assert!(
        !store.count_attempt(&purpose, 2, now).await.unwrap(),
        "ended"
    );
    let missing = format!("{prefix}-login-nobody");
    assert!(!store.count_attempt(&missing, 2, now).await.unwrap());
    store
        .create_mailed_code(&purpose, Some("h3"), expires)
        .await
        .unwrap();
    assert!(
        !store.count_attempt(&purpose, 2, expires).await.unwrap(),
        "expired"
    );

    // A new step replaces the one before for its purpose, and its count.
    store
        .create_mailed_code(&purpose, Some("h4"), expires)
        .await
        .unwrap();
    assert!(
        store.count_attempt(&purpose, 1, now).await.unwrap(),
        "counted afresh"
    );
    assert!(!store.take_mailed_code(&purpose, "h3", now).await.unwrap());
    // An authenticator's step has no mailed code to take, only attempts.
    store
        .create_mailed_code(&purpose, None, expires)
        .await
        .unwrap();
    assert!(!store.take_mailed_code(&purpose, "h4", now).await.unwrap());
    assert!(store.count_attempt(&purpose, 1, now).await.unwrap());
}

/// Holds `store` to the contracts of [`Resets`] and [`Signups`], on hashes that start
/// with `prefix`: each is read until it is taken, and taken once.
pub async fn resets_and_signups(store: &(impl Resets + Signups), prefix: &str) {
    let hash = format!("{prefix}-reset-1");
    let reset = PasswordReset {
        account: AccountId::parse("acme").unwrap(),
        user: UserId::parse("ann").unwrap(),
        expires: Millis(5_000),
    };
    assert_eq!(store.reset(&hash).await.unwrap(), None);
    assert!(!store.take_reset(&hash).await.unwrap());
    store.create_reset(&hash, &reset).await.unwrap();
    assert_eq!(store.reset(&hash).await.unwrap(), Some(reset.clone()));
    assert!(store.take_reset(&hash).await.unwrap());
    assert!(!store.take_reset(&hash).await.unwrap(), "taken once");
    assert_eq!(store.reset(&hash).await.unwrap(), None);

    let hash = format!("{prefix}-signup-1");
    let signup = Signup {
        email: "new@example.com".into(),
        password_hash: "$argon2id$x".into(),
        expires: Millis(6_000),
    };
    assert_eq!(store.signup(&hash).await.unwrap(), None);
    assert!(!store.take_signup(&hash).await.unwrap());
    store.create_signup(&hash, &signup).await.unwrap();
    assert_eq!(store.signup(&hash).await.unwrap(), Some(signup.clone()));
    assert!(store.take_signup(&hash).await.unwrap());
    assert!(!store.take_signup(&hash).await.unwrap(), "taken once");
    assert_eq!(store.signup(&hash).await.unwrap(), None);
}
