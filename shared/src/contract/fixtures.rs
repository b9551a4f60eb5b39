//! What the contracts build their cases from: accounts made through the ports (a Trial,
//! which every store can create), and the registry's values.

use crate::domain::auth::{Role, User};
use crate::domain::ids::{AccountId, AppId, GroupId, UserId};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::{Account, App, AppKind, Group, RegistrationId};
use crate::ports::{Accounts, Apps, Created, Groups};

/// The ID of an account of a contract: `{prefix}-{name}`, so that runs with distinct
/// prefixes can share one table. Both must be made of a-z, 0-9 and `-`.
pub fn account_id(prefix: &str, name: &str) -> AccountId {
    AccountId::parse(format!("{prefix}-{name}")).expect("prefix and name make an account ID")
}

/// The owner a Trial is created with: an admin with an e-mail address of its own.
pub fn owner(account: &AccountId) -> User {
    User {
        account: account.clone(),
        id: UserId::parse("owner").expect("a user ID"),
        role: Role::Admin,
        password_hash: "$argon2id$owner".into(),
        totp: None,
        email: Some(format!("owner@{account}.example")),
        email_two_step: false,
    }
}

/// Creates the account `{prefix}-{name}` (a Trial, with its owner as its one user and
/// admin) and returns it as read back.
pub async fn account(store: &impl Accounts, prefix: &str, name: &str) -> Account {
    let id = account_id(prefix, name);
    let account = Account::new(
        id.clone(),
        format!("{name} ({prefix})"),
        Plan::Trial,
        Millis(1),
    );
    assert!(
        store.create_trial(&account, &owner(&id)).await.unwrap(),
        "account {id} is new: give each run a prefix of its own"
    );
    store
        .account(&id)
        .await
        .unwrap()
        .expect("a created account")
}

pub fn group(account: &AccountId, id: &str) -> Group {
    Group {
        account: account.clone(),
        id: GroupId::parse(id).expect("a group ID"),
        name: format!("Group {id}"),
        grants: Vec::new(),
    }
}

/// Creates a group (with no limit to speak of) and returns it.
pub async fn created_group(store: &impl Groups, account: &AccountId, id: &str) -> Group {
    let group = group(account, id);
    assert_eq!(
        store.create_group(&group, 100).await.unwrap(),
        Created::Created
    );
    group
}

pub fn app(group: &Group, id: &str, registration: u64) -> App {
    App {
        id: AppId::parse(id).expect("an app ID"),
        account: group.account.clone(),
        group: group.id.clone(),
        registration: RegistrationId::from_random(registration << 16),
        registered: Millis(1_000),
        name: format!("App {id}"),
        kind: AppKind::Gateway,
        enabled: true,
        certificate: None,
        last_seen: None,
        status: Default::default(),
    }
}

/// Registers an app (with no limit to speak of) and returns it.
pub async fn registered_app(store: &impl Apps, group: &Group, id: &str, registration: u64) -> App {
    let app = app(group, id, registration);
    assert_eq!(
        store.register_app(&app, 100).await.unwrap(),
        Created::Created
    );
    app
}

pub fn instance(n: u64) -> RegistrationId {
    RegistrationId::from_random(n << 16)
}
