//! The contract of [`Files`]: uploads expected, files indexed once with their bytes
//! counted once, per account and group; folders kept with no file.

use super::fixtures::{account, created_group};
use crate::domain::files::{FileEntry, PendingUpload};
use crate::domain::ids::FileId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::ports::{Accounts, Files, GroupKey, Groups, Indexed};

fn pending(
    account: &crate::domain::ids::AccountId,
    group: &crate::domain::ids::GroupId,
    n: u128,
    name: &str,
    folder: &str,
    size: u64,
) -> PendingUpload {
    PendingUpload {
        account: account.clone(),
        group: group.clone(),
        id: FileId::from_random(n << 32),
        name: name.into(),
        folder: folder.into(),
        size,
        content_type: "text/csv".into(),
        multipart: None,
        uploader: "owner".into(),
        expires: Millis(1_700_000_900_000),
        // The source an upload names is indexed with it.
        app: Some(crate::domain::ids::AppId::parse("gw-1").unwrap()),
        instrument: Some(crate::domain::ids::InstrumentSerial::parse("LR-1").unwrap()),
    }
}

fn key(group: &Group) -> GroupKey<'_> {
    GroupKey {
        account: &group.account,
        group: &group.id,
    }
}

/// Holds `store` to the contract of [`Files`] on accounts `{prefix}-files` and
/// `{prefix}-files-other`.
pub async fn files(store: &(impl Accounts + Groups + Files), prefix: &str) {
    let acme = account(store, prefix, "files").await;
    let other = account(store, prefix, "files-other").await;
    let plant = created_group(store, &acme.id, "plant").await;
    let lab = created_group(store, &acme.id, "lab").await;
    let theirs = created_group(store, &other.id, "plant").await;
    assert_eq!(store.files_bytes(&acme.id).await.unwrap(), 0);

    // Expected until indexed, then no more; indexed once, counted once.
    let report = pending(&acme.id, &plant.id, 1, "report.csv", "line 1", 1_000);
    store.expect_upload(&report).await.unwrap();
    assert_eq!(
        store.pending_upload(&acme.id, &report.id).await.unwrap(),
        Some(report.clone())
    );
    assert_eq!(
        store.pending_upload(&other.id, &report.id).await.unwrap(),
        None
    );
    let entry = FileEntry::of(report.clone(), "ab".repeat(32), Millis(1_700_000_100_000));
    assert_eq!(store.index_file(&entry, ROOMY).await.unwrap(), Indexed::New);
    assert_eq!(
        store.index_file(&entry, ROOMY).await.unwrap(),
        Indexed::Already,
        "once"
    );
    assert_eq!(
        store.pending_upload(&acme.id, &report.id).await.unwrap(),
        None
    );
    assert_eq!(store.files_bytes(&acme.id).await.unwrap(), 1_000);
    assert_eq!(
        store.file(key(&plant), &entry.id).await.unwrap(),
        Some(entry.clone())
    );
    assert_eq!(store.file(key(&lab), &entry.id).await.unwrap(), None);
    assert_eq!(store.file(key(&theirs), &entry.id).await.unwrap(), None);

    // Listed by folder, then name; per group and account.
    for (n, name, folder) in [(2, "b.bin", ""), (3, "a.bin", "line 1"), (4, "z.bin", "")] {
        let upload = pending(&acme.id, &plant.id, n, name, folder, 10);
        assert!(
            store
                .index_file(
                    &FileEntry::of(upload, "cd".repeat(32), Millis(1_700_000_200_000)),
                    ROOMY
                )
                .await
                .unwrap()
                == Indexed::New
        );
    }
    let upload = pending(&acme.id, &lab.id, 5, "lab.bin", "", 5);
    assert!(
        store
            .index_file(
                &FileEntry::of(upload, "ef".repeat(32), Millis(1_700_000_300_000)),
                ROOMY
            )
            .await
            .unwrap()
            == Indexed::New
    );
    let listed: Vec<(String, String)> = store
        .files(key(&plant))
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.folder, f.name))
        .collect();
    let expected = [
        ("", "b.bin"),
        ("", "z.bin"),
        ("line 1", "a.bin"),
        ("line 1", "report.csv"),
    ];
    assert_eq!(
        listed,
        expected.map(|(folder, name)| (folder.to_owned(), name.to_owned()))
    );
    assert_eq!(store.files(key(&theirs)).await.unwrap(), []);
    assert_eq!(store.files_bytes(&acme.id).await.unwrap(), 1_035);
    assert_eq!(store.files_bytes(&other.id).await.unwrap(), 0);

    // The capacity holds where the bytes are counted: exactly full fits, a byte more
    // does not, and a refused file is neither indexed nor counted.
    let fills = pending(&acme.id, &lab.id, 6, "fills.bin", "", 65);
    let fills = FileEntry::of(fills, "01".repeat(32), Millis(1_700_000_400_000));
    let over = pending(&acme.id, &lab.id, 7, "over.bin", "", 1);
    let over = FileEntry::of(over, "02".repeat(32), Millis(1_700_000_400_000));
    assert_eq!(store.index_file(&fills, 1_100).await.unwrap(), Indexed::New);
    assert_eq!(
        store.index_file(&over, 1_100).await.unwrap(),
        Indexed::NoRoom
    );
    assert_eq!(store.files_bytes(&acme.id).await.unwrap(), 1_100);
    assert_eq!(store.file(key(&lab), &over.id).await.unwrap(), None);

    // Taken out with its bytes, once.
    assert!(store.unindex_file(&fills).await.unwrap());
    assert!(!store.unindex_file(&fills).await.unwrap());
    assert_eq!(store.files_bytes(&acme.id).await.unwrap(), 1_035);
    assert_eq!(store.file(key(&lab), &fills.id).await.unwrap(), None);

    // Renamed and moved in place: the rest of the entry and the bytes stay.
    let placed = FileEntry {
        name: "renamed.csv".into(),
        folder: "archive/2026".into(),
        ..entry.clone()
    };
    assert!(store.place_file(&placed).await.unwrap());
    assert_eq!(
        store.file(key(&plant), &entry.id).await.unwrap(),
        Some(placed.clone())
    );
    assert_eq!(store.files_bytes(&acme.id).await.unwrap(), 1_035);
    let never_indexed = FileEntry {
        name: "ghost.csv".into(),
        ..fills.clone()
    };
    assert!(!store.place_file(&never_indexed).await.unwrap());
    assert_eq!(store.file(key(&lab), &fills.id).await.unwrap(), None);

    // Folders kept with no file: once, per group and account, paths of any length
    // (past a sort key's 1,024 bytes), until forgotten.
    let long = vec!["x".repeat(255); 5].join("/");
    assert!(store.keep_folder(key(&plant), "empty").await.unwrap());
    assert!(
        !store.keep_folder(key(&plant), "empty").await.unwrap(),
        "once"
    );
    assert!(store.keep_folder(key(&plant), &long).await.unwrap());
    let mut kept = store.kept_folders(key(&plant)).await.unwrap();
    kept.sort();
    assert_eq!(kept, vec!["empty".to_owned(), long.clone()]);
    assert!(store.kept_folders(key(&lab)).await.unwrap().is_empty());
    assert!(store.kept_folders(key(&theirs)).await.unwrap().is_empty());
    store.forget_folder(key(&plant), "empty").await.unwrap();
    store
        .forget_folder(key(&plant), "never kept")
        .await
        .unwrap();
    assert_eq!(store.kept_folders(key(&plant)).await.unwrap(), vec![long]);
}

/// A capacity no case here comes near.
const ROOMY: u64 = 1 << 40;
