//! The contract of [`ApiTokens`].

use super::fixtures::account;
use crate::domain::auth::{ApiToken, Role};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{Accounts, ApiTokens, Created};

fn token(account: &AccountId, id: &str, expires: Option<i64>) -> ApiToken {
    ApiToken {
        id: id.into(),
        account: account.clone(),
        user: UserId::parse("ann").unwrap(),
        role: Role::Member,
        name: format!("token {id}"),
        created: Millis(1_000),
        expires: expires.map(Millis),
        hash: format!("{account}-hash-{id}"),
    }
}

/// Holds `store` to the contract of [`ApiTokens`] on accounts `{prefix}-…` (see
/// [`super::accounts`]).
pub async fn api_tokens(store: &(impl Accounts + ApiTokens), prefix: &str) {
    let acme = account(store, prefix, "tokens-acme").await.id;
    let other = account(store, prefix, "tokens-other").await.id;

    // Counted per account: the last slot, then the limit; a taken ID or hash is `Exists`.
    let a = token(&acme, "0000000a", Some(9_000));
    let b = token(&acme, "0000000b", None);
    assert_eq!(
        store.create_api_token(&a, 2).await.unwrap(),
        Created::Created
    );
    let same_hash = ApiToken {
        id: "0000000f".into(),
        ..a.clone()
    };
    assert_eq!(
        store.create_api_token(&same_hash, 2).await.unwrap(),
        Created::Exists
    );
    let same_id = ApiToken {
        hash: format!("{acme}-hash-other"),
        ..a.clone()
    };
    assert_eq!(
        store.create_api_token(&same_id, 2).await.unwrap(),
        Created::Exists
    );
    assert_eq!(
        store.api_token_by_hash(&same_id.hash).await.unwrap(),
        None,
        "nothing of it stays"
    );
    assert_eq!(
        store.create_api_token(&b, 2).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    let c = token(&acme, "0000000c", None);
    assert_eq!(
        store.create_api_token(&c, 2).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(store.api_token_by_hash(&c.hash).await.unwrap(), None);
    let elsewhere = token(&other, "0000000a", None);
    assert_eq!(
        store.create_api_token(&elsewhere, 1).await.unwrap(),
        Created::Created,
        "per account"
    );

    // Found by hash, listed by account.
    assert_eq!(
        store.api_token_by_hash(&a.hash).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store.api_tokens(&acme).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        store.api_tokens(&other).await.unwrap(),
        vec![elsewhere.clone()]
    );

    // Revoked once; a revocation frees the slot.
    assert!(store.delete_api_token(&a).await.unwrap());
    assert_eq!(store.api_token_by_hash(&a.hash).await.unwrap(), None);
    assert_eq!(store.api_tokens(&acme).await.unwrap(), vec![b.clone()]);
    assert!(
        !store.delete_api_token(&a).await.unwrap(),
        "revoked already"
    );
    assert_eq!(
        store.create_api_token(&c, 2).await.unwrap(),
        Created::Created,
        "a freed slot"
    );
    assert_eq!(
        store.create_api_token(&a, 2).await.unwrap(),
        Created::LimitReached
    );
}
