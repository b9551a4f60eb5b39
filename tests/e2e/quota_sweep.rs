//! The daily quota sweep against the emulator, run as its schedule runs it
//! (`LocalCloud::quota_sweep`, with the function's IAM-checked clients): each storage
//! notice goes once to its account's contract e-mail whatever reruns or cut-off
//! invocations, a lapsed license turns Free, and one corrupt account stops no other.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::{Account, InstrumentKey};
use fieldcloud::domain::schedule::china_midnight;
use fieldcloud::domain::usage::{StreamPosition, Tally};
use fieldcloud::ports::{Accounts, DataUsage};
use serde_json::Value;

use crate::helpers::{mail_dump, spawn, TestCloud};

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
