//! File alarms through the use cases on the in-memory adapters: rules checked against
//! the group, the cap per group, and uploads told once however often reported.

use super::*;
use crate::contract::fixtures::{account, created_group, registered_app};
use crate::domain::auth::Role;
use crate::domain::files::FileEntry;
use crate::domain::ids::UserId;
use crate::memory::{MemoryNotifyQueue, MemoryStore};
use crate::ports::{InboxRange, Indexed};

const T0: i64 = 1_700_000_000_000;

struct Drive {
    store: MemoryStore,
    queue: MemoryNotifyQueue,
    principal: Principal,
    group: Group,
}

impl Drive {
    async fn new() -> Drive {
        let store = MemoryStore::new();
        let acme = account(&store, "file-alarms", "acme").await;
        let group = created_group(&store, &acme.id, "plant").await;
        registered_app(&store, &group, "gw-1", 1).await;
        let principal = Principal {
            account: acme.id,
            user: UserId::parse("owner").unwrap(),
            role: Role::Admin,
            session: "session".into(),
            expires: Millis(i64::MAX),
        };
        Drive {
            store,
            queue: MemoryNotifyQueue::default(),
            principal,
            group,
        }
    }

    async fn create(&self, body: serde_json::Value, id: &str) -> Result<FileAlarmView, Refused> {
        let draft: FileAlarmDraft = serde_json::from_value(body).unwrap();
        let id = FileAlarmId::parse(id).unwrap();
        create(
            &self.store,
            &self.principal,
            &self.group,
            draft,
            id,
            Millis(T0),
        )
        .await
    }

    /// Indexes file `n` named `name`, from `app` if given, at `at`.
    async fn upload(&self, n: u128, name: &str, app: Option<&str>, at: i64) -> FileId {
        let entry = FileEntry {
            account: self.principal.account.clone(),
            group: self.group.id.clone(),
            id: FileId::from_random(n << 32),
            name: name.into(),
            folder: String::new(),
            size: 10,
            content_type: "text/csv".into(),
            sha256: "00".repeat(32),
            uploader: "owner".into(),
            uploaded: Millis(at),
            app: app.map(|app| AppId::parse(app).unwrap()),
            instrument: None,
        };
        assert_eq!(
            self.store.index_file(&entry, 1 << 30).await.unwrap(),
            Indexed::New
        );
        entry.id
    }

    async fn indexed(&self, id: &FileId) -> usize {
        on_indexed(
            &self.store,
            &self.queue,
            &self.principal.account,
            &self.group.id,
            id,
        )
        .await
        .unwrap()
    }

    async fn inbox(&self) -> Vec<FileNotice> {
        let key = GroupKey {
            account: &self.principal.account,
            group: &self.group.id,
        };
        self.store
            .notifications(key, InboxRange::newest(100))
            .await
            .unwrap()
            .into_iter()
            .map(|notice| match notice {
                Notice::File(notice) => notice,
                other => panic!("only file notices here: {other:?}"),
            })
            .collect()
    }
}

#[tokio::test]
async fn a_matching_upload_is_told_once_however_often_it_is_reported() {
    let drive = Drive::new().await;
    drive
        .create(serde_json::json!({"name": "CSV", "glob": "*.csv"}), "csv")
        .await
        .unwrap();
    let file = drive.upload(1, "rec-01.csv", None, T0 + 1).await;
    assert_eq!(drive.indexed(&file).await, 1);
    // Reported again (a crash after indexing, or S3 delivering twice): queued again for
    // notify, which delivers once per destination, and in the inbox once.
    assert_eq!(drive.indexed(&file).await, 0);
    let inbox = drive.inbox().await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (inbox[0].rule_name.as_str(), inbox[0].name.as_str()),
        ("CSV", "rec-01.csv")
    );
    let jobs = drive.queue.take();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id(), jobs[1].id(), "the same notice both times");
}

#[tokio::test]
async fn an_upload_no_rule_matches_or_older_than_the_rule_is_not_told() {
    let drive = Drive::new().await;
    let before = drive.upload(1, "early.csv", Some("gw-1"), T0 - 1).await;
    drive
        .create(
            serde_json::json!({"name": "gw-1 CSV", "app": "gw-1", "glob": "*.csv"}),
            "csv",
        )
        .await
        .unwrap();
    let bin = drive.upload(2, "rec-01.bin", Some("gw-1"), T0 + 1).await;
    let portal = drive.upload(3, "rec-01.csv", None, T0 + 2).await;
    for file in [&before, &bin, &portal] {
        assert_eq!(drive.indexed(file).await, 0);
    }
    assert!(drive.inbox().await.is_empty());
    assert!(drive.queue.take().is_empty());
    let matching = drive.upload(4, "rec-02.csv", Some("gw-1"), T0 + 3).await;
    assert_eq!(drive.indexed(&matching).await, 1);
}

#[tokio::test]
async fn a_group_without_file_alarms_costs_one_read_per_upload_and_tells_nothing() {
    let drive = Drive::new().await;
    let file = drive.upload(1, "rec-01.csv", None, T0).await;
    assert_eq!(drive.indexed(&file).await, 0);
    // A file deleted before its report is handled: nothing to tell.
    drive
        .create(serde_json::json!({"name": "All"}), "all")
        .await
        .unwrap();
    let missing = FileId::from_random(99 << 32);
    assert_eq!(drive.indexed(&missing).await, 0);
}

#[tokio::test]
async fn a_source_not_in_the_group_is_refused_naming_the_field() {
    let drive = Drive::new().await;
    let refused = drive
        .create(serde_json::json!({"name": "x", "app": "gw-9"}), "a")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Refused::Invalid(m) if m.starts_with("`app`") && m.contains("gw-9")),
        "{refused:?}"
    );
    let refused = drive
        .create(
            serde_json::json!({"name": "x", "app": "gw-1", "instrument": "LR-9"}),
            "a",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Refused::Invalid(m) if m.starts_with("`instrument`")),
        "{refused:?}"
    );
    let refused = drive
        .create(serde_json::json!({"name": "x", "glob": ""}), "a")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Refused::Invalid(m) if m.starts_with("`glob`")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_group_takes_fifty_file_alarms_and_a_delete_frees_a_slot() {
    let drive = Drive::new().await;
    for n in 0..MAX_FILE_ALARMS_PER_GROUP {
        drive
            .create(
                serde_json::json!({"name": format!("rule {n}")}),
                &format!("r{n}"),
            )
            .await
            .unwrap();
    }
    let refused = drive
        .create(serde_json::json!({"name": "one more"}), "more")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Refused::LimitReached { limit: 50, message, .. } if message.contains("at most 50 file alarms")),
        "{refused:?}"
    );
    let principal = &drive.principal;
    let listed = list(&drive.store, principal, &drive.group).await.unwrap();
    assert_eq!(listed.file_alarms.len(), 50);
    let first = listed.file_alarms[0].id.clone();
    delete(&drive.store, principal, &drive.group, &first)
        .await
        .unwrap();
    assert!(matches!(
        delete(&drive.store, principal, &drive.group, &first).await,
        Err(Refused::NotFound(_))
    ));
    drive
        .create(serde_json::json!({"name": "one more"}), "more")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_replaced_rule_keeps_its_id_and_creation_time() {
    let drive = Drive::new().await;
    drive
        .create(serde_json::json!({"name": "CSV", "glob": "*.csv"}), "csv")
        .await
        .unwrap();
    let id = FileAlarmId::parse("csv").unwrap();
    let draft =
        serde_json::from_value(serde_json::json!({"name": "Images", "kind": "image/*"})).unwrap();
    let replaced = replace(&drive.store, &drive.principal, &drive.group, &id, draft)
        .await
        .unwrap();
    assert_eq!(replaced.created, Millis(T0));
    assert_eq!(replaced.filter.glob, None, "left out, cleared");
    let read = detail(&drive.store, &drive.principal, &drive.group, &id)
        .await
        .unwrap();
    assert_eq!(read, replaced);
    let other = FileAlarmId::parse("other").unwrap();
    let draft = serde_json::from_value(serde_json::json!({"name": "x"})).unwrap();
    let missing = replace(&drive.store, &drive.principal, &drive.group, &other, draft).await;
    assert!(matches!(missing, Err(Refused::NotFound(_))));
}

#[tokio::test]
async fn an_upload_is_matched_against_its_own_accounts_rules_only() {
    let drive = Drive::new().await;
    // Another account with a group of the same name, and a rule that would match.
    let rival = account(&drive.store, "file-alarms", "rival").await;
    let rivals_plant = created_group(&drive.store, &rival.id, "plant").await;
    let rule = FileAlarm {
        account: rival.id.clone(),
        group: rivals_plant.id.clone(),
        id: FileAlarmId::parse("spy").unwrap(),
        name: "Everything".into(),
        filter: FileFilter::default(),
        created: Millis(0),
    };
    let created = drive.store.create_file_alarm(&rule, 50).await.unwrap();
    assert_eq!(created, Created::Created);
    let file = drive.upload(1, "rec-01.csv", None, T0).await;
    assert_eq!(drive.indexed(&file).await, 0);
    // Nor does the rival's key reach acme's file.
    let told = on_indexed(
        &drive.store,
        &drive.queue,
        &rival.id,
        &rivals_plant.id,
        &file,
    );
    assert_eq!(told.await.unwrap(), 0);
    assert!(drive.queue.take().is_empty());
}
