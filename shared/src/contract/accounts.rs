//! The contract of [`Accounts`].

use super::fixtures::{account, account_id, owner};
use crate::domain::allowlist::Cidr;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::settings::Logo;
use crate::ports::Accounts;

/// Holds `store` to the contract of [`Accounts`], on accounts whose IDs start with
/// `{prefix}-` (a-z, 0-9 and `-`): runs with distinct prefixes can share one table.
pub async fn accounts(store: &impl Accounts, prefix: &str) {
    // A Trial: the account, its owner and its e-mail address, all or nothing.
    let acme = account(store, prefix, "acct-acme").await;
    assert_eq!(acme.plan, Plan::Trial);
    assert_eq!(acme.login_alias, None);
    let email = owner(&acme.id).email.unwrap();
    assert_eq!(
        store.account_by_email(&email).await.unwrap(),
        Some(acme.id.clone())
    );
    let again = account_id(prefix, "acct-again");
    let same_email = crate::domain::auth::User {
        account: again.clone(),
        ..owner(&acme.id)
    };
    let new = Account::new(again.clone(), "again".into(), Plan::Trial, Millis(1));
    assert!(
        !store.create_trial(&new, &same_email).await.unwrap(),
        "an address signs up one Trial"
    );
    assert_eq!(
        store.account(&again).await.unwrap(),
        None,
        "nothing of it stays"
    );
    let same_id = Account::new(acme.id.clone(), "other".into(), Plan::Trial, Millis(1));
    let other_owner = crate::domain::auth::User {
        email: Some(format!("other@{again}.example")),
        ..owner(&acme.id)
    };
    assert!(
        !store.create_trial(&same_id, &other_owner).await.unwrap(),
        "the ID is taken"
    );
    assert_eq!(
        store.account(&acme.id).await.unwrap().unwrap().name,
        acme.name
    );
    assert_eq!(
        store
            .account_by_email("other@nowhere.example")
            .await
            .unwrap(),
        None
    );

    // Settings: written on an account that exists only.
    let settings = Account {
        name: "Acme Corp".into(),
        contract_email: Some("legal@acme.example".into()),
        ..acme.clone()
    };
    assert!(store.update_settings(&settings).await.unwrap());
    let read = store.account(&acme.id).await.unwrap().unwrap();
    assert_eq!(
        (read.name.as_str(), read.contract_email.as_deref()),
        ("Acme Corp", Some("legal@acme.example"))
    );
    let cleared = Account {
        contract_email: None,
        ..settings.clone()
    };
    assert!(store.update_settings(&cleared).await.unwrap());
    assert_eq!(
        store
            .account(&acme.id)
            .await
            .unwrap()
            .unwrap()
            .contract_email,
        None
    );
    let nobody = Account::new(
        account_id(prefix, "acct-nobody"),
        "x".into(),
        Plan::Free,
        Millis(1),
    );
    assert!(!store.update_settings(&nobody).await.unwrap());
    assert_eq!(
        store.account(&nobody.id).await.unwrap(),
        None,
        "not created by it"
    );

    // Login aliases: checked against the alias the account was read with; never an
    // alias or account ID that is taken.
    let beta = account(store, prefix, "acct-beta").await;
    let alias = account_id(prefix, "acct-alias");
    assert!(store.set_login_alias(&acme, Some(&alias)).await.unwrap());
    assert_eq!(
        store.account_by_alias(&alias).await.unwrap(),
        Some(acme.id.clone())
    );
    let acme = store.account(&acme.id).await.unwrap().unwrap();
    assert_eq!(acme.login_alias, Some(alias.clone()));
    assert!(
        !store.set_login_alias(&beta, Some(&alias)).await.unwrap(),
        "another account's alias"
    );
    assert!(
        !store.set_login_alias(&beta, Some(&acme.id)).await.unwrap(),
        "an account ID"
    );
    assert_eq!(
        store.account(&beta.id).await.unwrap().unwrap().login_alias,
        None
    );
    let stale = Account {
        login_alias: None,
        ..acme.clone()
    };
    let other = account_id(prefix, "acct-other");
    assert!(
        !store.set_login_alias(&stale, Some(&other)).await.unwrap(),
        "read before the alias was set"
    );
    assert_eq!(store.account_by_alias(&other).await.unwrap(), None);
    assert!(store.set_login_alias(&acme, Some(&other)).await.unwrap());
    assert_eq!(
        store.account_by_alias(&alias).await.unwrap(),
        None,
        "the old one is freed"
    );
    assert_eq!(
        store.account_by_alias(&other).await.unwrap(),
        Some(acme.id.clone())
    );
    assert!(
        !store.set_login_alias(&acme, None).await.unwrap(),
        "read with the alias replaced since"
    );
    let acme = store.account(&acme.id).await.unwrap().unwrap();
    assert!(store.set_login_alias(&acme, None).await.unwrap());
    assert_eq!(store.account_by_alias(&other).await.unwrap(), None);
    assert_eq!(
        store.account(&acme.id).await.unwrap().unwrap().login_alias,
        None
    );
    assert!(
        store.set_login_alias(&beta, Some(&alias)).await.unwrap(),
        "a freed alias is free"
    );

    // The logo and the allow-list.
    assert_eq!(store.logo(&acme.id).await.unwrap(), None);
    let logo = Logo::from_bytes(b"\x89PNG\r\n\x1a\nlogo".to_vec()).unwrap();
    store.set_logo(&acme.id, Some(&logo)).await.unwrap();
    assert_eq!(store.logo(&acme.id).await.unwrap(), Some(logo));
    assert_eq!(store.logo(&beta.id).await.unwrap(), None);
    store.set_logo(&acme.id, None).await.unwrap();
    assert_eq!(store.logo(&acme.id).await.unwrap(), None);
    let ranges = vec![
        Cidr::parse("10.0.0.0/8").unwrap(),
        Cidr::parse("192.0.2.1/32").unwrap(),
    ];
    store.set_allow_list(&acme.id, &ranges).await.unwrap();
    assert_eq!(
        store.account(&acme.id).await.unwrap().unwrap().allow_list,
        ranges
    );
    store.set_allow_list(&acme.id, &[]).await.unwrap();
    assert!(store
        .account(&acme.id)
        .await
        .unwrap()
        .unwrap()
        .allow_list
        .is_empty());

    // A plan change: written only over the plan, expiry and last change it was read with.
    let read = store.account(&beta.id).await.unwrap().unwrap();
    assert!(store
        .change_plan(&read, Plan::Pro, Millis(9_000), Millis(500))
        .await
        .unwrap());
    let changed = store.account(&beta.id).await.unwrap().unwrap();
    assert_eq!(
        (changed.plan, changed.license_expires, changed.plan_changed),
        (Plan::Pro, Some(Millis(9_000)), Some(Millis(500)))
    );
    assert!(
        !store
            .change_plan(&read, Plan::Standard, Millis(45_000), Millis(600))
            .await
            .unwrap(),
        "a change racing the first, read before it"
    );
    // Each part of what was read counts alone: the operator extending the license, or a
    // change made since.
    for stale in [
        Account {
            license_expires: Some(Millis(8_000)),
            ..changed.clone()
        },
        Account {
            plan_changed: Some(Millis(499)),
            ..changed.clone()
        },
    ] {
        assert!(!store
            .change_plan(&stale, Plan::Standard, Millis(45_000), Millis(600))
            .await
            .unwrap());
    }
    assert!(store
        .change_plan(&changed, Plan::Standard, Millis(45_000), Millis(600))
        .await
        .unwrap());
    let gone = Account::new(
        account_id(prefix, "acct-none"),
        "none".into(),
        Plan::Pro,
        Millis(1),
    );
    assert!(!store
        .change_plan(&gone, Plan::Standard, Millis(45_000), Millis(600))
        .await
        .unwrap());
    assert_eq!(store.account(&gone.id).await.unwrap(), None);
}
