//! The contract of [`Instruments`].

use super::fixtures::{account, app, created_group, instance, registered_app};
use crate::domain::ids::{ChannelName, InstrumentSerial};
use crate::domain::registry::Instrument;
use crate::ports::{Accounts, Apps, Groups, Instruments, Registration, Renewal, Saved};

fn serial(text: &str) -> InstrumentSerial {
    InstrumentSerial::parse(text).unwrap()
}

fn registered(outcome: Registration) -> Instrument {
    match outcome {
        Registration::Registered(instrument) => *instrument,
        other => panic!("expected a registration, got {other:?}"),
    }
}

/// Holds `store` to the contract of [`Instruments`] on accounts `{prefix}-…` (see
/// [`super::accounts`]).
pub async fn instruments(store: &(impl Accounts + Groups + Apps + Instruments), prefix: &str) {
    let acme = account(store, prefix, "instruments").await.id;
    let plant = created_group(store, &acme, "plant").await;
    let gw = registered_app(store, &plant, "gw-1", 1).await;
    let other = registered_app(store, &plant, "gw-2", 2).await;

    // Counted per app: the last slot, then the limit; a taken serial is `AlreadyExists`.
    let a = registered(
        store
            .register_instrument(&gw, &serial("A"), instance(1), 2)
            .await
            .unwrap(),
    );
    assert_eq!(a, Instrument::new(&gw, serial("A"), instance(1)));
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("A")).await.unwrap(),
        Some(a.clone())
    );
    assert!(matches!(
        store
            .register_instrument(&gw, &serial("A"), instance(9), 2)
            .await
            .unwrap(),
        Registration::AlreadyExists
    ));
    registered(
        store
            .register_instrument(&gw, &serial("B"), instance(2), 2)
            .await
            .unwrap(),
    );
    assert!(matches!(
        store
            .register_instrument(&gw, &serial("C"), instance(3), 2)
            .await
            .unwrap(),
        Registration::LimitReached
    ));
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("C")).await.unwrap(),
        None
    );
    registered(
        store
            .register_instrument(&other, &serial("C"), instance(4), 1)
            .await
            .unwrap(),
    );
    // Only on the app's registration as stored: one from before never adds to it.
    let earlier = app(&plant, "gw-1", 99);
    assert!(matches!(
        store
            .register_instrument(&earlier, &serial("D"), instance(5), 10)
            .await
            .unwrap(),
        Registration::LimitReached
    ));
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("D")).await.unwrap(),
        None
    );

    // Saves are checked on the revision and registration read, and bump the revision.
    let named = Instrument {
        channels: vec![
            ChannelName::parse("CH1").unwrap(),
            ChannelName::parse("CH2").unwrap(),
        ],
        deselected: vec![1],
        label: Some("Boiler".into()),
        note: Some("basement".into()),
        ..a.clone()
    };
    assert_eq!(store.save_instrument(&named).await.unwrap(), Saved::Written);
    let read = store
        .instrument(&acme, &gw.id, &serial("A"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read,
        Instrument {
            rev: 1,
            ..named.clone()
        }
    );
    assert_eq!(
        store.save_instrument(&named).await.unwrap(),
        Saved::Conflict,
        "a stale revision"
    );
    let unlabelled = Instrument {
        label: None,
        note: None,
        ..read.clone()
    };
    assert_eq!(
        store.save_instrument(&unlabelled).await.unwrap(),
        Saved::Written
    );
    let read = store
        .instrument(&acme, &gw.id, &serial("A"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((read.rev, read.label, read.note), (2, None, None));
    let other_registration = Instrument {
        registration: earlier.registration,
        ..unlabelled.clone()
    };
    let other_registration = Instrument {
        rev: 2,
        ..other_registration
    };
    assert_eq!(
        store.save_instrument(&other_registration).await.unwrap(),
        Saved::Conflict
    );
    let missing = Instrument::new(&gw, serial("Z"), instance(6));
    assert_eq!(
        store.save_instrument(&missing).await.unwrap(),
        Saved::Conflict
    );
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("Z")).await.unwrap(),
        None
    );

    // A delete frees the slot; a second one finds nothing.
    let b = store
        .instrument(&acme, &gw.id, &serial("B"))
        .await
        .unwrap()
        .unwrap();
    // As another registration of its app would see it: not its to delete.
    let elsewhere = Instrument {
        registration: instance(99),
        ..b.clone()
    };
    assert!(!store.delete_instrument(&elsewhere).await.unwrap());
    assert!(store.delete_instrument(&b).await.unwrap());
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("B")).await.unwrap(),
        None
    );
    assert!(!store.delete_instrument(&b).await.unwrap());
    let c = registered(
        store
            .register_instrument(&gw, &serial("C"), instance(7), 2)
            .await
            .unwrap(),
    );
    assert_eq!(c.instance, instance(7));

    // Renewal: the item as read becomes a new, empty instrument of the app, counted on
    // it within the limit.
    let stale = store
        .instrument(&acme, &gw.id, &serial("A"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store
            .renew_instrument(&stale, &gw, instance(8), 2)
            .await
            .unwrap(),
        Renewal::LimitReached
    ));
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("A")).await.unwrap(),
        Some(stale.clone()),
        "nothing changed"
    );
    let Renewal::Renewed(fresh) = store
        .renew_instrument(&stale, &gw, instance(8), 3)
        .await
        .unwrap()
    else {
        panic!("the item as read is renewed");
    };
    let expected = Instrument {
        rev: stale.rev + 1,
        ..Instrument::new(&gw, serial("A"), instance(8))
    };
    assert_eq!(*fresh, expected);
    assert_eq!(
        store.instrument(&acme, &gw.id, &serial("A")).await.unwrap(),
        Some(expected)
    );
    assert!(matches!(
        store
            .renew_instrument(&stale, &gw, instance(9), 10)
            .await
            .unwrap(),
        Renewal::Changed
    ));
    assert!(
        matches!(
            store
                .register_instrument(&gw, &serial("E"), instance(10), 3)
                .await
                .unwrap(),
            Registration::LimitReached
        ),
        "the renewed instrument counts on the app"
    );
}
