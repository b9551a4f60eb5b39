//! The contract of [`FileAlarms`].

use super::fixtures::{account, created_group, group};
use crate::domain::file_alarm::{FileAlarm, FileFilter, FileKind, Glob};
use crate::domain::ids::{AppId, FileAlarmId, InstrumentSerial};
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::ports::{Accounts, Created, FileAlarms, Groups};

fn file_alarm(group: &Group, id: &str) -> FileAlarm {
    FileAlarm {
        account: group.account.clone(),
        group: group.id.clone(),
        id: FileAlarmId::parse(id).unwrap(),
        name: format!("File alarm {id}"),
        filter: FileFilter {
            glob: Some(Glob::parse("*.csv").unwrap()),
            ..FileFilter::default()
        },
        created: Millis(1_700_000_000_000),
    }
}

/// Holds `store` to the contract of [`FileAlarms`] (and of [`Groups`] keeping a group
/// with file alarms) on accounts `{prefix}-…` (see [`super::accounts`]).
pub async fn file_alarms(store: &(impl Accounts + Groups + FileAlarms), prefix: &str) {
    let acme = account(store, prefix, "file-alarms").await.id;
    let plant = created_group(store, &acme, "plant").await;
    let lab = created_group(store, &acme, "lab").await;

    // Counted per group: the last slot, then the limit; a taken ID is refused.
    let a = file_alarm(&plant, "a");
    assert_eq!(
        store.create_file_alarm(&a, 2).await.unwrap(),
        Created::Created
    );
    assert_eq!(
        store.create_file_alarm(&a, 2).await.unwrap(),
        Created::Exists,
        "the ID is taken"
    );
    // Every part of a filter is read back as written.
    let b = FileAlarm {
        filter: FileFilter {
            app: Some(AppId::parse("gw-1").unwrap()),
            instrument: Some(InstrumentSerial::parse("LR-1").unwrap()),
            glob: Some(Glob::parse("rec-??.bin").unwrap()),
            kind: Some(FileKind::parse("image/*").unwrap()),
        },
        ..file_alarm(&plant, "b")
    };
    assert_eq!(
        store.create_file_alarm(&b, 2).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    assert_eq!(
        store
            .create_file_alarm(&file_alarm(&plant, "c"), 2)
            .await
            .unwrap(),
        Created::LimitReached
    );
    assert_eq!(
        store
            .file_alarm(&acme, &plant.id, &FileAlarmId::parse("c").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .create_file_alarm(&file_alarm(&lab, "c"), 1)
            .await
            .unwrap(),
        Created::Created,
        "per group"
    );
    assert_eq!(
        store
            .create_file_alarm(&file_alarm(&group(&acme, "none"), "d"), 10)
            .await
            .unwrap(),
        Created::LimitReached,
        "only in a group that exists"
    );
    assert_eq!(
        store.file_alarm(&acme, &plant.id, &b.id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.file_alarms(&acme, &plant.id).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert!(
        !store.delete_group(&acme, &plant.id).await.unwrap(),
        "a group with file alarms stays"
    );

    // Replaced whole but for the creation time; a missing one is not made.
    let replaced = FileAlarm {
        name: "renamed".into(),
        filter: FileFilter::default(),
        created: Millis(1),
        ..b.clone()
    };
    assert!(store.replace_file_alarm(&replaced).await.unwrap());
    assert_eq!(
        store.file_alarm(&acme, &plant.id, &b.id).await.unwrap(),
        Some(FileAlarm {
            created: b.created,
            ..replaced.clone()
        })
    );
    assert!(!store
        .replace_file_alarm(&file_alarm(&plant, "zz"))
        .await
        .unwrap());
    assert_eq!(
        store
            .file_alarm(&acme, &plant.id, &FileAlarmId::parse("zz").unwrap())
            .await
            .unwrap(),
        None
    );

    // A delete frees its slot, once; the group goes when none is left.
    assert!(store
        .delete_file_alarm(&acme, &plant.id, &a.id)
        .await
        .unwrap());
    assert!(!store
        .delete_file_alarm(&acme, &plant.id, &a.id)
        .await
        .unwrap());
    assert_eq!(
        store
            .create_file_alarm(&file_alarm(&plant, "c"), 2)
            .await
            .unwrap(),
        Created::Created,
        "the freed slot"
    );
    for id in ["b", "c"] {
        let id = FileAlarmId::parse(id).unwrap();
        assert!(store
            .delete_file_alarm(&acme, &plant.id, &id)
            .await
            .unwrap());
    }
    assert!(store
        .file_alarms(&acme, &plant.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store.delete_group(&acme, &plant.id).await.unwrap());
}
