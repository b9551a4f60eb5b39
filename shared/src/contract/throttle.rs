//! The contract of [`Throttle`].

use crate::domain::auth::THROTTLE_WINDOW_MILLIS;
use crate::domain::record::Millis;
use crate::ports::Throttle;

/// Holds `store` to the contract of [`Throttle`], on keys that start with `prefix`.
pub async fn throttle(store: &impl Throttle, prefix: &str) {
    let key = format!("{prefix}-throttle-ann");
    let other = format!("{prefix}-throttle-bob");
    let start = Millis(1_000_000);
    let ends = start.plus(THROTTLE_WINDOW_MILLIS);

    // `max` attempts a window, the first of which starts it; then refused until it ends.
    for i in 0..3 {
        assert_eq!(
            store.claim_attempt(&key, 3, start.plus(i)).await.unwrap(),
            None,
            "attempt {i}"
        );
    }
    assert_eq!(
        store.claim_attempt(&key, 3, start.plus(10)).await.unwrap(),
        Some(ends)
    );
    assert_eq!(
        store.claim_attempt(&key, 3, start.plus(11)).await.unwrap(),
        Some(ends),
        "a refusal costs nothing more"
    );
    assert_eq!(
        store
            .claim_attempt(&other, 3, start.plus(12))
            .await
            .unwrap(),
        None,
        "per key"
    );

    // A success gives its attempt back, and only that one.
    store.release_attempt(&key, start.plus(20)).await.unwrap();
    assert_eq!(
        store.claim_attempt(&key, 3, start.plus(21)).await.unwrap(),
        None
    );
    assert_eq!(
        store.claim_attempt(&key, 3, start.plus(22)).await.unwrap(),
        Some(ends)
    );

    // A window that ended gives nothing back; the next attempt starts a new one.
    let later = ends.plus(5);
    store.release_attempt(&key, later).await.unwrap();
    assert_eq!(store.claim_attempt(&key, 3, later).await.unwrap(), None);
    assert_eq!(
        store.claim_attempt(&key, 3, later.plus(1)).await.unwrap(),
        None
    );
    assert_eq!(
        store.claim_attempt(&key, 3, later.plus(2)).await.unwrap(),
        None
    );
    assert_eq!(
        store.claim_attempt(&key, 3, later.plus(3)).await.unwrap(),
        Some(later.plus(THROTTLE_WINDOW_MILLIS)),
        "the new window ends a window after it started"
    );
    // Releases never go below nothing.
    let fresh = format!("{prefix}-throttle-cy");
    assert_eq!(store.claim_attempt(&fresh, 1, start).await.unwrap(), None);
    store.release_attempt(&fresh, start.plus(1)).await.unwrap();
    store.release_attempt(&fresh, start.plus(2)).await.unwrap();
    assert_eq!(
        store.claim_attempt(&fresh, 1, start.plus(3)).await.unwrap(),
        None
    );
    assert_eq!(
        store.claim_attempt(&fresh, 1, start.plus(4)).await.unwrap(),
        Some(ends)
    );
}
