//! The contract of [`Apps`].

use super::fixtures::{account, app, created_group, instance, registered_app};
use crate::domain::ids::InstrumentSerial;
use crate::domain::record::Millis;
use crate::domain::registry::App;
use crate::ports::{Accounts, Apps, Created, Groups, Instruments, Registration};

/// Holds `store` to the contract of [`Apps`] (and of [`Groups::group_members`]) on
/// accounts `{prefix}-…` (see [`super::accounts`]).
pub async fn apps(store: &(impl Accounts + Groups + Apps + Instruments), prefix: &str) {
    let acme = account(store, prefix, "apps-acme").await.id;
    let other = account(store, prefix, "apps-other").await.id;
    let plant = created_group(store, &acme, "plant").await;
    let lab = created_group(store, &acme, "lab").await;

    // Counted per account, across its groups: the last slot, then the limit.
    let gw1 = app(&plant, "gw-1", 1);
    assert_eq!(store.register_app(&gw1, 2).await.unwrap(), Created::Created);
    assert_eq!(store.register_app(&gw1, 2).await.unwrap(), Created::Exists);
    let gw2 = app(&lab, "gw-2", 2);
    assert_eq!(
        store.register_app(&gw2, 2).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    let gw3 = app(&plant, "gw-3", 3);
    assert_eq!(
        store.register_app(&gw3, 2).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(
        store.app(&acme, &gw3.id).await.unwrap(),
        None,
        "nothing of it stays"
    );
    let elsewhere = app(&created_group(store, &other, "plant").await, "gw-1", 4);
    assert_eq!(
        store.register_app(&elsewhere, 1).await.unwrap(),
        Created::Created,
        "app IDs and counts are per account"
    );
    let nowhere = app(&crate::contract::fixtures::group(&other, "none"), "gw-9", 5);
    assert_ne!(
        store.register_app(&nowhere, 10).await.unwrap(),
        Created::Created,
        "only in a group that exists"
    );
    assert_eq!(store.app(&other, &nowhere.id).await.unwrap(), None);

    // Registered unseen and without a certificate, whatever the value said.
    let seen = App {
        certificate: Some("cert".into()),
        last_seen: Some(Millis(5)),
        ..app(&lab, "gw-seen", 6)
    };
    assert_eq!(
        store.register_app(&seen, 10).await.unwrap(),
        Created::Created
    );
    let read = store.app(&acme, &seen.id).await.unwrap().unwrap();
    assert_eq!((read.certificate, read.last_seen), (None, None));
    assert_eq!(store.app(&acme, &gw1.id).await.unwrap(), Some(gw1.clone()));

    // Writes on an app that exists (in its group) only.
    assert!(store.set_certificate(&gw1, "cert-1").await.unwrap());
    assert_eq!(
        store
            .app(&acme, &gw1.id)
            .await
            .unwrap()
            .unwrap()
            .certificate
            .as_deref(),
        Some("cert-1")
    );
    assert!(!store.set_certificate(&gw3, "cert-3").await.unwrap());
    let renamed = App {
        name: "Gateway one".into(),
        enabled: false,
        ..gw1.clone()
    };
    assert!(store.update_app(&renamed).await.unwrap());
    let read = store.app(&acme, &gw1.id).await.unwrap().unwrap();
    assert_eq!((read.name.as_str(), read.enabled), ("Gateway one", false));
    assert!(!store.update_app(&gw3).await.unwrap(), "no such app");
    let moved = App {
        group: lab.id.clone(),
        ..renamed.clone()
    };
    assert!(
        !store.update_app(&moved).await.unwrap(),
        "not in that group"
    );

    // Last seen moves forward only, and only for the registration that was seen.
    store.touch_app(&gw1, Millis(100)).await.unwrap();
    store.touch_app(&gw1, Millis(50)).await.unwrap();
    assert_eq!(
        store.app(&acme, &gw1.id).await.unwrap().unwrap().last_seen,
        Some(Millis(100))
    );
    store.touch_app(&gw1, Millis(200)).await.unwrap();
    let earlier = App {
        registration: app(&plant, "gw-1", 99).registration,
        ..gw1.clone()
    };
    store.touch_app(&earlier, Millis(300)).await.unwrap();
    assert_eq!(
        store.app(&acme, &gw1.id).await.unwrap().unwrap().last_seen,
        Some(Millis(200))
    );
    store.touch_app(&gw3, Millis(300)).await.unwrap();
    assert_eq!(
        store.app(&acme, &gw3.id).await.unwrap(),
        None,
        "a touch creates nothing"
    );

    // A group's members: its apps and their instruments, of that group only.
    let serial = InstrumentSerial::parse("LR-1").unwrap();
    let Registration::Registered(instrument) = store
        .register_instrument(&gw1, &serial, instance(1), 10)
        .await
        .unwrap()
    else {
        panic!("a new instrument is registered");
    };
    let (apps, instruments) = store.group_members(&acme, &plant.id).await.unwrap();
    assert_eq!(
        apps.iter().map(|a| &a.id).collect::<Vec<_>>(),
        vec![&gw1.id]
    );
    assert_eq!(instruments, vec![*instrument.clone()]);
    let (apps, instruments) = store.group_members(&acme, &lab.id).await.unwrap();
    let mut ids: Vec<_> = apps.into_iter().map(|a| a.id).collect();
    ids.sort();
    assert_eq!(ids, vec![gw2.id.clone(), seen.id.clone()]);
    assert!(instruments.is_empty());

    // Deleting an app deletes its instruments and frees its slot.
    assert!(store.delete_app(&gw1).await.unwrap());
    assert_eq!(store.app(&acme, &gw1.id).await.unwrap(), None);
    assert_eq!(
        store.instrument(&acme, &gw1.id, &serial).await.unwrap(),
        None
    );
    assert!(!store.delete_app(&gw1).await.unwrap(), "gone already");
    assert_eq!(
        store.group_members(&acme, &plant.id).await.unwrap(),
        (vec![], vec![])
    );
    assert!(
        store.app(&other, &elsewhere.id).await.unwrap().is_some(),
        "another account's"
    );
    assert_eq!(
        store.register_app(&gw3, 3).await.unwrap(),
        Created::Created,
        "a freed slot"
    );
    registered_app(store, &plant, "gw-4", 7).await;
    assert_eq!(
        store
            .register_app(&app(&plant, "gw-5", 8), 4)
            .await
            .unwrap(),
        Created::LimitReached
    );
}
