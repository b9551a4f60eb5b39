//! The contract of [`Sessions`].

use crate::domain::auth::{Role, Session};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::Sessions;

/// Holds `store` to the contract of [`Sessions`], on session IDs that start with
/// `prefix`.
pub async fn sessions(store: &impl Sessions, prefix: &str) {
    let session = Session {
        id: format!("{prefix}-session-1"),
        account: AccountId::parse("acme").unwrap(),
        user: UserId::parse("ann").unwrap(),
        role: Role::Member,
        last_active: Millis(1_000),
        generation: 3,
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(
        store.session(&session.id).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.session(&format!("{prefix}-session-2")).await.unwrap(),
        None
    );

    // Activity moves forward only.
    store
        .touch_session(&session.id, Millis(2_000))
        .await
        .unwrap();
    store
        .touch_session(&session.id, Millis(1_500))
        .await
        .unwrap();
    let read = store.session(&session.id).await.unwrap().unwrap();
    assert_eq!(read.last_active, Millis(2_000));

    // Kept into a new generation (the session that changed the password).
    store.keep_session(&session.id, 4).await.unwrap();
    assert_eq!(
        store
            .session(&session.id)
            .await
            .unwrap()
            .unwrap()
            .generation,
        4
    );

    // Logout ends it; nothing revives it.
    store.delete_session(&session.id).await.unwrap();
    assert_eq!(store.session(&session.id).await.unwrap(), None);
    store
        .touch_session(&session.id, Millis(3_000))
        .await
        .unwrap();
    store.keep_session(&session.id, 5).await.unwrap();
    assert_eq!(
        store.session(&session.id).await.unwrap(),
        None,
        "a session that is gone stays gone"
    );
    store.delete_session(&session.id).await.unwrap();
}
