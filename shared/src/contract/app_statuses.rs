//! The contract of [`AppStatuses`]: an app's status written on its revision, and the
//! silence sweep's list kept as the statuses say.

use super::fixtures::{account, created_group, registered_app};
use crate::domain::app_status::{AppStatus, Lifecycle, Session};
use crate::domain::record::Millis;
use crate::domain::registry::App;
use crate::ports::{Accounts, AppStatuses, Apps, Groups, StoreError, WatchedApp};

async fn read(store: &impl Apps, app: &App) -> App {
    store
        .app(&app.account, &app.id)
        .await
        .unwrap()
        .expect("the app")
}

fn event(version: u64, ended: bool, at: i64) -> Lifecycle {
    Lifecycle {
        session: Session { version, ended },
        at: Millis(at),
    }
}

async fn listed(store: &impl AppStatuses) -> Result<Vec<WatchedApp>, StoreError> {
    store.watched_apps(None, 100).await
}

/// Holds `store` to the contract of [`AppStatuses`] on account `{prefix}-status`. The
/// sweep's list is the stack's, so `store` must hold no other watched app.
pub async fn app_statuses(store: &(impl Accounts + AppStatuses + Apps + Groups), prefix: &str) {
    let acme = account(store, prefix, "status").await;
    let plant = created_group(store, &acme.id, "plant").await;
    let gw1 = registered_app(store, &plant, "gw-1", 1).await;
    let gw2 = registered_app(store, &plant, "gw-2", 2).await;
    assert_eq!(gw1.status, AppStatus::default(), "registered untold");
    assert_eq!(listed(store).await.unwrap(), []);

    // Connected: written at revision 0, listed, read back with its outbox.
    let connected = gw1.status.on_lifecycle(&gw1, event(1, false, 10)).unwrap();
    assert!(store.replace_app_status(&gw1, &connected).await.unwrap());
    assert!(
        !store.replace_app_status(&gw1, &connected).await.unwrap(),
        "revision 0 is gone"
    );
    let gw1_read = read(store, &gw1).await;
    assert_eq!(
        gw1_read.status,
        AppStatus {
            rev: 1,
            ..connected.clone()
        }
    );
    assert_eq!(
        listed(store).await.unwrap(),
        [WatchedApp {
            account: acme.id.clone(),
            app: gw1.id.clone(),
            rev: 1
        }]
    );

    // The outbox emptied: still connected, still listed; another app listed after it.
    let emptied = AppStatus {
        outbox: Vec::new(),
        ..connected
    };
    assert!(store.replace_app_status(&gw1_read, &emptied).await.unwrap());
    let gw2_connected = gw2.status.on_lifecycle(&gw2, event(1, false, 20)).unwrap();
    assert!(store
        .replace_app_status(&gw2, &gw2_connected)
        .await
        .unwrap());
    let all = listed(store).await.unwrap();
    assert_eq!(
        all.iter().map(|w| w.app.as_str()).collect::<Vec<_>>(),
        ["gw-1", "gw-2"]
    );
    assert_eq!(
        store.watched_apps(Some(&all[0]), 100).await.unwrap(),
        all[1..]
    );
    assert_eq!(store.watched_apps(None, 1).await.unwrap(), all[..1]);

    // Disconnected with nothing left to tell: off the list.
    let gw1_read = read(store, &gw1).await;
    assert_eq!(gw1_read.status.rev, 2);
    let mut gone = gw1_read
        .status
        .on_lifecycle(&gw1_read, event(1, true, 30))
        .unwrap();
    gone.outbox.clear();
    assert!(store.replace_app_status(&gw1_read, &gone).await.unwrap());
    assert_eq!(
        listed(store)
            .await
            .unwrap()
            .iter()
            .map(|w| w.app.as_str())
            .collect::<Vec<_>>(),
        ["gw-2"]
    );

    // Taken off only at the revision it was listed at.
    let gw2_listed = listed(store).await.unwrap().remove(0);
    let stale = WatchedApp {
        rev: gw2_listed.rev + 7,
        ..gw2_listed.clone()
    };
    store.unwatch_app(&stale).await.unwrap();
    assert_eq!(
        listed(store).await.unwrap(),
        std::slice::from_ref(&gw2_listed)
    );
    store.unwatch_app(&gw2_listed).await.unwrap();
    assert_eq!(listed(store).await.unwrap(), []);
    store.unwatch_app(&gw2_listed).await.unwrap();

    // Another registration of the ID is not written by what was read of the first.
    assert!(store.delete_app(&gw2).await.unwrap());
    let gw2_again = registered_app(store, &plant, "gw-2", 3).await;
    assert!(!store
        .replace_app_status(&gw2, &gw2.status.clone())
        .await
        .unwrap());
    assert_eq!(read(store, &gw2_again).await.status, AppStatus::default());

    // An app with the instruments it holds; none for an app that is not there.
    let (app, instruments) = store
        .app_with_instruments(&acme.id, &gw1.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((app.id, instruments), (gw1.id.clone(), Vec::new()));
    let unknown = crate::domain::ids::AppId::parse("gw-9").unwrap();
    assert!(store
        .app_with_instruments(&acme.id, &unknown)
        .await
        .unwrap()
        .is_none());

    // A deleted app leaves the list with it.
    let gw1_read = read(store, &gw1).await;
    let again = gw1_read
        .status
        .on_lifecycle(&gw1_read, event(2, false, 40))
        .unwrap();
    assert!(store.replace_app_status(&gw1_read, &again).await.unwrap());
    assert_eq!(listed(store).await.unwrap().len(), 1);
    assert!(store.delete_app(&gw1_read).await.unwrap());
    assert_eq!(listed(store).await.unwrap(), []);
}
