//! The daily quota sweep against the emulator, run as its schedule runs it
//! (`LocalCloud::quota_sweep`, with the function's IAM-checked clients): each storage
//! notice goes once to its account's contract e-mail whatever reruns or cut-off
//! invocations, a lapsed license turns Free, and one corrupt account stops no other;
//! an account over capacity loses its records and files the day after its deadline, a
//! Trial from its end, and no other account anything; an instrument gone quiet has its
//! last hour compacted.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::codec::encode_values;
use fieldcloud::domain::files::FileEntry;
use fieldcloud::domain::ids::{AccountId, FileId, GroupId};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::{self, Millis};
use fieldcloud::domain::registry::{Account, Group, InstrumentKey};
use fieldcloud::domain::schedule::china_midnight;
use fieldcloud::domain::usage::{StreamPosition, Tally};
use fieldcloud::ports::{
    Accounts, ChunkStore, DataUsage, Files, GroupKey, Groups, Indexed, RecordStore, StoredRecord,
};
use serde_json::Value;

use crate::helpers::{mail_dump, spawn, TestCloud};
use crate::history_bucket::{big_at, objects};
use crate::notify::until;

/// 2027-02-01, 00:00 UTC: 08:00 China Standard Time, when the schedule fires.
const RUN_AT: Millis = Millis(1_801_440_000_000);
const GB: u64 = 1_000_000_000;

/// The accounts with a notice due at [`RUN_AT`] and the address each goes to: Free at
/// 4.6 and 6 GB of its 5, and a Standard license that ended the day before holding
/// 6 GB, over Free's 5.
const DUE: [(&str, &str); 3] = [
    ("nearly", "it@nearly.example"),
    ("over", "it@over.example"),
    ("lapsing", "it@lapsing.example"),
];
/// Free at 1 GB: nothing to tell.
const ROOMY: (&str, &str) = ("roomy", "it@roomy.example");

async fn create(app: &TestCloud, id: &str, plan: Plan, email: &str, bytes: u64) {
    let store = &app.cloud.store;
    let mut account = Account::new(
        AccountId::parse(id).unwrap(),
        format!("{id} Ltd"),
        plan,
        Millis(1_780_000_000_000),
    );
    account.contract_email = Some(email.into());
    if plan == Plan::Standard {
        account.license_expires = Some(china_midnight("2027-01-31".parse().unwrap()));
    }
    store.create_account(&account).await.unwrap();
    // Its measurement data as the usage function counts it from the records' stream.
    let tally = Tally {
        bytes: i64::try_from(bytes).unwrap(),
        first: StreamPosition::parse("100").unwrap(),
        last: StreamPosition::parse("100").unwrap(),
        stored_hours: Default::default(),
    };
    store
        .count_data(
            &account.id,
            &InstrumentKey::from_stored(format!("{id}/gw.1/sn-1/1")),
            &tally,
        )
        .await
        .unwrap();
}

/// `acme` (the test cloud's own, Pro, nothing stored) and the accounts above.
async fn cloud_with_quotas() -> TestCloud {
    let app = spawn(Plan::Pro).await;
    create(&app, DUE[0].0, Plan::Free, DUE[0].1, 4_600_000_000).await;
    create(&app, DUE[1].0, Plan::Free, DUE[1].1, 6 * GB).await;
    create(&app, DUE[2].0, Plan::Standard, DUE[2].1, 6 * GB).await;
    create(&app, ROOMY.0, Plan::Free, ROOMY.1, GB).await;
    app
}

/// How many mails went to `address`.
async fn mails_to(app: &TestCloud, address: &str) -> usize {
    fn collect(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) if map.keys().any(|k| k.eq_ignore_ascii_case("subject")) => {
                found.push(value.to_string())
            }
            Value::Object(map) => map.values().for_each(|v| collect(v, found)),
            Value::Array(values) => values.iter().for_each(|v| collect(v, found)),
            _ => {}
        }
    }
    let dump: Value = serde_json::from_str(&mail_dump(app).await).unwrap();
    let mut found = Vec::new();
    collect(&dump, &mut found);
    found.iter().filter(|mail| mail.contains(address)).count()
}

/// The notices recorded as sent to `account`, by sort key.
async fn notice_items(app: &TestCloud, account: &str) -> Vec<String> {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let output = aws_sdk_dynamodb::Client::new(&config)
        .query()
        .table_name(devcloud::REGISTRY_TABLE)
        .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("ACCOUNT#{account}")))
        .expression_attribute_values(":prefix", AttributeValue::S("NOTICE#".into()))
        .send()
        .await
        .unwrap();
    output
        .items()
        .iter()
        .filter_map(|item| item.get("sk")?.as_s().ok().cloned())
        .collect()
}

async fn assert_each_notice_went_once(app: &TestCloud) {
    for (account, address) in DUE {
        assert_eq!(mails_to(app, address).await, 1, "mails to {account}");
        assert_eq!(notice_items(app, account).await.len(), 1, "{account}");
    }
    assert_eq!(mails_to(app, ROOMY.1).await, 0);
    assert!(notice_items(app, ROOMY.0).await.is_empty());
}

#[tokio::test]
async fn the_sweep_run_twice_in_a_day_sends_each_notice_once_and_skips_a_corrupt_account() {
    let app = cloud_with_quotas().await;
    app.set_on_account("storageStanding", AttributeValue::S("garbage".into()))
        .await;
    let first = app.cloud.quota_sweep(RUN_AT, 50, None).await.unwrap();
    let sent: usize = first.iter().map(|r| r.sent.len()).sum();
    assert_eq!(sent, DUE.len(), "{first:#?}");
    let unreadable: Vec<_> = first.iter().flat_map(|r| &r.unreadable).collect();
    assert_eq!(
        unreadable,
        [&app.account],
        "acme's standing does not decode"
    );
    assert_each_notice_went_once(&app).await;
    assert_eq!(
        notice_items(&app, "over").await,
        ["NOTICE#over-capacity#2027-03-04"]
    );
    assert_eq!(
        notice_items(&app, "nearly").await,
        ["NOTICE#nearly-full#2027-02-01"]
    );

    // The schedule fires again 10 minutes later: the day is done, nothing is read.
    let again = app
        .cloud
        .quota_sweep(RUN_AT.plus(10 * Millis::MINUTE), 50, None)
        .await
        .unwrap();
    assert!(again
        .iter()
        .all(|r| r.sent.is_empty() && r.accounts_read == 0));
    // The next day: every standing was kept, so nothing is told twice.
    let next_day = app
        .cloud
        .quota_sweep(RUN_AT.plus(Millis::DAY), 50, None)
        .await
        .unwrap();
    assert!(next_day.iter().all(|r| r.sent.is_empty()), "{next_day:#?}");
    assert_each_notice_went_once(&app).await;
}

#[tokio::test]
async fn a_sweep_cut_off_after_each_account_is_finished_without_repeating() {
    let app = cloud_with_quotas().await;
    // One account a page and one page an invocation: every invocation is cut off after
    // one account, and the next goes on from there.
    // (A Free account's retention check takes its first step without asking.)
    let reports = app.cloud.quota_sweep(RUN_AT, 1, Some(1)).await.unwrap();
    assert!(reports.len() > DUE.len(), "{} invocations", reports.len());
    assert!(reports.iter().all(|r| r.accounts_read <= 1));
    assert!(reports.iter().all(|r| r.already_sent == 0));
    let read: usize = reports.iter().map(|r| r.accounts_read).sum();
    let listed = reports.iter().filter(|r| r.accounts_read == 1).count();
    assert_eq!(read, listed, "each account read once");
    assert!(
        read >= 5,
        "acme and the four above, and any the cloud seeds"
    );
    assert_each_notice_went_once(&app).await;
}

#[tokio::test]
async fn a_lapsed_license_becomes_free_and_keeps_its_expiry() {
    let app = cloud_with_quotas().await;
    let reports = app.cloud.quota_sweep(RUN_AT, 50, None).await.unwrap();
    let lapsed: Vec<_> = reports.iter().flat_map(|r| &r.lapsed).collect();
    let id = AccountId::parse("lapsing").unwrap();
    assert_eq!(lapsed, [&id]);
    let account = app.cloud.store.account(&id).await.unwrap().unwrap();
    assert_eq!(account.plan, Plan::Free);
    assert_eq!(
        account.license_expires,
        Some(china_midnight("2027-01-31".parse().unwrap()))
    );
    // acme's Pro, without a license, is untouched.
    let acme = app
        .cloud
        .store
        .account(&app.account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acme.plan, Plan::Pro);
}

/// `count` records of `account`'s instrument, the key its data is counted under, from
/// September 2026 (within a year of every sweep here, so Free's retention keeps them).
async fn store_records(app: &TestCloud, account: &str, count: i64) -> InstrumentKey {
    let key = InstrumentKey::from_stored(format!("{account}/gw.1/sn-1/1"));
    let records: Vec<_> = (0..count)
        .map(|i| StoredRecord {
            instrument: key.clone(),
            t: Millis(1_788_000_000_000 + i * 1_000),
            values: vec![0, 1, 2],
        })
        .collect();
    app.cloud.records.put(&records).await.unwrap();
    key
}

async fn records_of(app: &TestCloud, key: &InstrumentKey) -> usize {
    let all = app
        .cloud
        .records
        .range(key, Millis(0), Millis(i64::MAX), 10_000);
    all.await.unwrap().len()
}

/// A file of 1 MB indexed in `account`'s group `plant` (its object is not needed: a
/// deletion removes the object, then the entry).
async fn store_file(app: &TestCloud, account: &str) -> GroupKeyOwned {
    let store = &app.cloud.store;
    let group = Group {
        account: AccountId::parse(account).unwrap(),
        id: GroupId::parse("plant").unwrap(),
        name: "Plant".into(),
        grants: Vec::new(),
    };
    store.create_group(&group, 10).await.unwrap();
    let entry = FileEntry {
        account: group.account.clone(),
        group: group.id.clone(),
        id: FileId::parse("0123456789abcdef01234567").unwrap(),
        name: "log.csv".into(),
        folder: String::new(),
        size: 1_000_000,
        content_type: "text/csv".into(),
        sha256: "0".repeat(64),
        uploader: "admin".into(),
        uploaded: Millis(1_788_000_000_000),
        app: None,
        instrument: None,
    };
    assert_eq!(
        store.index_file(&entry, u64::MAX).await.unwrap(),
        Indexed::New
    );
    (group.account, group.id)
}

type GroupKeyOwned = (AccountId, GroupId);

async fn files_of(app: &TestCloud, (account, group): &GroupKeyOwned) -> (usize, u64) {
    let key = GroupKey { account, group };
    let store = &app.cloud.store;
    let files = store.files(key).await.unwrap().len();
    (files, store.files_bytes(account).await.unwrap())
}

#[tokio::test]
async fn an_account_over_capacity_is_deleted_the_day_after_its_deadline_and_no_other() {
    let app = cloud_with_quotas().await;
    let over = store_records(&app, "over", 450).await;
    let roomy = store_records(&app, "roomy", 450).await;
    // Each with a chunk whose bytes are in the history bucket (of an hour before the
    // records': its bytes are no chunk's, which compaction would have to leave raw).
    let hour = Millis(1_788_000_000_000)
        .start_of_hour()
        .plus(-2 * Millis::HOUR);
    for key in [&over, &roomy] {
        let chunk = big_at(key, hour, 5);
        assert!(app.cloud.records.put_chunk(&chunk, None).await.unwrap());
    }
    let (over_files, roomy_files) = (
        store_file(&app, "over").await,
        store_file(&app, "roomy").await,
    );
    app.cloud.quota_sweep(RUN_AT, 50, None).await.unwrap();
    // The deadline is 31 days on, 2027-03-04: on it, nothing is deleted.
    let deadline = RUN_AT.plus(31 * Millis::DAY);
    let on_deadline = app.cloud.quota_sweep(deadline, 50, None).await.unwrap();
    assert!(on_deadline
        .iter()
        .all(|r| r.over_capacity_deleted.is_empty()));
    assert_eq!(records_of(&app, &over).await, 450);
    assert_eq!(files_of(&app, &over_files).await, (1, 1_000_000));
    // The day after, in invocations of 3 looks at the clock (a page, then steps of 200
    // records after each deletion's first): cut off mid-deletion, finished by the next.
    let reports = app
        .cloud
        .quota_sweep(deadline.plus(Millis::DAY), 50, Some(3))
        .await
        .unwrap();
    assert!(reports.len() > 1, "{} invocations", reports.len());
    let deleted: Vec<_> = reports
        .iter()
        .flat_map(|r| &r.over_capacity_deleted)
        .map(AccountId::as_str)
        .collect();
    assert!(deleted.contains(&"over"), "{deleted:?}");
    assert_eq!(records_of(&app, &over).await, 0);
    // Its chunk's object deleted once the stream told the usage function; roomy's kept.
    app.cloud.records_stream_settled().await;
    assert!(objects(&app, &over).await.is_empty());
    assert_eq!(objects(&app, &roomy).await.len(), 1);
    assert_eq!(files_of(&app, &over_files).await, (0, 0));
    // Roomy, under its capacity, keeps everything.
    assert_eq!(records_of(&app, &roomy).await, 450);
    assert_eq!(files_of(&app, &roomy_files).await, (1, 1_000_000));
    // Over was told twice: over capacity, then deleted; a rerun tells nothing more.
    assert_eq!(mails_to(&app, DUE[1].1).await, 2);
    app.cloud
        .quota_sweep(deadline.plus(Millis::DAY), 50, None)
        .await
        .unwrap();
    assert_eq!(mails_to(&app, DUE[1].1).await, 2);
}

#[tokio::test]
async fn a_trial_loses_its_data_and_files_at_its_end_and_acme_nothing() {
    let app = spawn(Plan::Pro).await;
    let store = &app.cloud.store;
    // Created 93 days before 2027-02-01T12:00Z: ended by the sweep of 2027-02-02.
    let trial = Account::new(
        AccountId::parse("trying").unwrap(),
        "Trying Ltd".into(),
        Plan::Trial,
        RUN_AT.plus(12 * 3_600_000 - 93 * Millis::DAY),
    );
    store.create_account(&trial).await.unwrap();
    let key = store_records(&app, "trying", 30).await;
    let tally = Tally {
        bytes: 30,
        first: StreamPosition::parse("100").unwrap(),
        last: StreamPosition::parse("100").unwrap(),
        stored_hours: Default::default(),
    };
    store.count_data(&trial.id, &key, &tally).await.unwrap();
    let files = store_file(&app, "trying").await;
    let acme_files = store_file(&app, app.account.as_str()).await;
    // Day 93 of the Trial (it ends at noon): nothing deleted.
    let running = app.cloud.quota_sweep(RUN_AT, 50, None).await.unwrap();
    assert!(running.iter().all(|r| r.trials_deleted.is_empty()));
    assert_eq!(records_of(&app, &key).await, 30);
    // The next day's sweep (day 94): everything of the Trial goes.
    let ended = app
        .cloud
        .quota_sweep(RUN_AT.plus(Millis::DAY), 50, None)
        .await
        .unwrap();
    let deleted: Vec<_> = ended.iter().flat_map(|r| &r.trials_deleted).collect();
    assert_eq!(deleted, [&trial.id]);
    assert_eq!(records_of(&app, &key).await, 0);
    assert_eq!(files_of(&app, &files).await, (0, 0));
    assert_eq!(files_of(&app, &acme_files).await, (1, 1_000_000));
}

#[tokio::test]
async fn a_quiet_instruments_last_hour_is_compacted_by_the_sweep() {
    let app = spawn(Plan::Pro).await;
    create(&app, "quiet", Plan::Free, "it@quiet.example", 0).await;
    let account = AccountId::parse("quiet").unwrap();
    // Three records of an hour still open, and then nothing more from the instrument:
    // the usage function marks the hour but has no later delivery to compact it in.
    let key = InstrumentKey::from_stored("quiet/gw.1/sn-1/1".into());
    let now = app.cloud.clock.now();
    let records: Vec<_> = (0..3)
        .map(|i| StoredRecord {
            instrument: key.clone(),
            t: now.plus(-i),
            values: encode_values(&[(0, record::Value::Number(i as f64 / 4.0))]),
        })
        .collect();
    app.cloud.records.put(&records).await.unwrap();
    let hours: BTreeSet<Millis> = records.iter().map(|r| r.t.start_of_hour()).collect();
    until("the stream marked the hour", || async {
        let pending = app.cloud.store.pending_hours(&account).await.unwrap();
        pending.iter().map(|(_, hours)| hours.len()).sum::<usize>() == hours.len()
    })
    .await;

    let reports = app.cloud.quota_sweep(RUN_AT, 50, None).await.unwrap();
    let stored: usize = reports.iter().map(|report| report.hours.stored).sum();
    assert_eq!(stored, hours.len());
    assert!(app
        .cloud
        .store
        .pending_hours(&account)
        .await
        .unwrap()
        .is_empty());
    let chunks = app
        .cloud
        .records
        .chunks(&key, Millis(0), Millis(i64::MAX), usize::MAX)
        .await
        .unwrap();
    assert_eq!(chunks.iter().map(|c| c.records).sum::<u32>(), 3);
}
