//! The contract of [`Groups`].

use super::fixtures::{account, group, registered_app};
use crate::domain::access::{Grant, Grantee, GroupRole};
use crate::domain::ids::{AlarmId, TeamId, UserId};
use crate::ports::{
    Accounts, AlarmStates, Apps, Created, GroupAlarmStates, GroupKey, Groups, Saved, VersionedState,
};

fn sorted(mut grants: Vec<Grant>) -> Vec<Grant> {
    grants.sort_by_key(|g| g.to.key());
    grants
}

/// Holds `store` to the contract of [`Groups`] on accounts `{prefix}-…` (see
/// [`super::accounts`]). Apps are how a group is kept from being deleted.
pub async fn groups(store: &(impl Accounts + Groups + Apps + AlarmStates), prefix: &str) {
    let acme = account(store, prefix, "groups-acme").await.id;
    let other = account(store, prefix, "groups-other").await.id;

    // Counted per account: the last slot, then the limit; a taken ID is `Exists`.
    let plant = group(&acme, "plant");
    let lab = group(&acme, "lab");
    assert_eq!(
        store.create_group(&plant, 2).await.unwrap(),
        Created::Created
    );
    assert_eq!(
        store.create_group(&plant, 2).await.unwrap(),
        Created::Exists
    );
    assert_eq!(
        store.create_group(&lab, 2).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    let yard = group(&acme, "yard");
    assert_eq!(
        store.create_group(&yard, 2).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(
        store.group(&acme, &yard.id).await.unwrap(),
        None,
        "nothing of it stays"
    );
    assert_ne!(
        store.create_group(&plant, 2).await.unwrap(),
        Created::Created
    );
    assert_eq!(
        store
            .create_group(&group(&other, "plant"), 1)
            .await
            .unwrap(),
        Created::Created,
        "IDs and counts are per account"
    );

    assert_eq!(
        store.group(&acme, &plant.id).await.unwrap(),
        Some(plant.clone())
    );
    let ids: Vec<_> = store
        .groups(&acme)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(ids, vec![lab.id.clone(), plant.id.clone()], "by ID");

    // Grants and names are written on a group that exists only.
    let granted = crate::domain::registry::Group {
        grants: vec![
            Grant {
                to: Grantee::User(UserId::parse("ann").unwrap()),
                role: GroupRole::Editor,
            },
            Grant {
                to: Grantee::Team(TeamId::parse("ops").unwrap()),
                role: GroupRole::Viewer,
            },
        ],
        ..plant.clone()
    };
    assert!(store.set_grants(&granted).await.unwrap());
    let read = store.group(&acme, &plant.id).await.unwrap().unwrap();
    assert_eq!(sorted(read.grants), sorted(granted.grants.clone()));
    assert!(!store.set_grants(&yard).await.unwrap());
    let renamed = crate::domain::registry::Group {
        name: "Plant 2".into(),
        ..granted.clone()
    };
    assert!(store.rename_group(&renamed).await.unwrap());
    let read = store.group(&acme, &plant.id).await.unwrap().unwrap();
    assert_eq!(read.name, "Plant 2");
    assert_eq!(read.grants.len(), 2, "a rename keeps the grants");
    assert!(!store.rename_group(&yard).await.unwrap());
    assert_eq!(store.group(&acme, &yard.id).await.unwrap(), None);

    // Only an empty group is deleted; a delete frees its slot.
    let app = registered_app(store, &plant, "gw-1", 1).await;
    assert!(
        !store.delete_group(&acme, &plant.id).await.unwrap(),
        "it has an app"
    );
    assert!(store.group(&acme, &plant.id).await.unwrap().is_some());
    assert!(store.delete_app(&app).await.unwrap());
    // Its alarms' states go with it: a group made again under the ID starts afresh.
    let key = GroupKey {
        account: &acme,
        group: &plant.id,
    };
    let states = GroupAlarmStates {
        outbox: Vec::new(),
        rev: 0,
        alarms: [(AlarmId::parse("gone").unwrap(), VersionedState::default())].into(),
    };
    assert_eq!(
        store.save_alarm_states(key, &states).await.unwrap(),
        Saved::Written
    );
    assert!(store.delete_group(&acme, &plant.id).await.unwrap());
    assert_eq!(store.group(&acme, &plant.id).await.unwrap(), None);
    assert_eq!(
        store.alarm_states(key).await.unwrap(),
        GroupAlarmStates::default()
    );
    assert!(
        !store.delete_group(&acme, &plant.id).await.unwrap(),
        "gone already"
    );
    assert!(
        !store.delete_group(&acme, &yard.id).await.unwrap(),
        "never was"
    );
    assert_eq!(
        store.create_group(&yard, 2).await.unwrap(),
        Created::Created,
        "a freed slot"
    );
    assert_eq!(
        store.create_group(&plant, 2).await.unwrap(),
        Created::LimitReached
    );
}
