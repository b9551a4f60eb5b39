//! The contract of [`Teams`].

use super::fixtures::account;
use crate::domain::access::Team;
use crate::domain::ids::{AccountId, TeamId, UserId};
use crate::ports::{Accounts, Created, Teams};

fn team(account: &AccountId, id: &str, members: &[&str]) -> Team {
    Team {
        account: account.clone(),
        id: TeamId::parse(id).unwrap(),
        name: format!("Team {id}"),
        members: members.iter().map(|m| UserId::parse(*m).unwrap()).collect(),
    }
}

/// Holds `store` to the contract of [`Teams`] on accounts `{prefix}-…` (see
/// [`super::accounts`]).
pub async fn teams(store: &(impl Accounts + Teams), prefix: &str) {
    let acme = account(store, prefix, "teams-acme").await.id;
    let other = account(store, prefix, "teams-other").await.id;

    // Counted per account: the last slot, then the limit; a taken ID is `Exists`.
    let ops = team(&acme, "ops", &["ann", "bob"]);
    let lab = team(&acme, "lab", &[]);
    assert_eq!(store.create_team(&ops, 2).await.unwrap(), Created::Created);
    assert_eq!(store.create_team(&ops, 2).await.unwrap(), Created::Exists);
    assert_eq!(
        store.create_team(&lab, 2).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    let qa = team(&acme, "qa", &["cy"]);
    assert_eq!(
        store.create_team(&qa, 2).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(store.team(&acme, &qa.id).await.unwrap(), None);
    assert_eq!(
        store
            .create_team(&team(&other, "ops", &[]), 1)
            .await
            .unwrap(),
        Created::Created,
        "per account"
    );

    assert_eq!(store.team(&acme, &ops.id).await.unwrap(), Some(ops.clone()));
    assert_eq!(
        store.teams(&acme).await.unwrap(),
        vec![lab.clone(), ops.clone()],
        "by ID"
    );

    // Updates of a team that exists only.
    let renamed = Team {
        name: "Operations".into(),
        members: vec![UserId::parse("cy").unwrap()],
        ..ops.clone()
    };
    assert!(store.update_team(&renamed).await.unwrap());
    assert_eq!(
        store.team(&acme, &ops.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert!(!store.update_team(&qa).await.unwrap());
    assert_eq!(
        store.team(&acme, &qa.id).await.unwrap(),
        None,
        "not created by it"
    );

    // Deleted once; a delete frees the slot.
    assert!(store.delete_team(&acme, &ops.id).await.unwrap());
    assert_eq!(store.team(&acme, &ops.id).await.unwrap(), None);
    assert!(!store.delete_team(&acme, &ops.id).await.unwrap());
    assert_eq!(
        store.create_team(&qa, 2).await.unwrap(),
        Created::Created,
        "a freed slot"
    );
    assert_eq!(
        store.create_team(&ops, 2).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(store.teams(&other).await.unwrap().len(), 1);
}
