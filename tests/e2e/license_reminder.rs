//! The daily license-reminder job against the emulator, run as its schedule runs it
//! (`LocalCloud::license_reminder`, with the function's IAM-checked clients): each
//! reminder due goes once to its account's contract e-mail, whatever reruns or cut-off
//! invocations, and nothing goes to accounts with none due.

use aws_sdk_dynamodb::types::AttributeValue;
use devcloud::seed;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Account;
use fieldcloud::domain::schedule::{china_day, china_midnight, sending_time, ReminderKind};
use fieldcloud::domain::settings::Language;
use fieldcloud::ports::Accounts;
use serde_json::Value;

use crate::helpers::{mail_dump, spawn, TestCloud};

/// 2027-02-01, a Monday, 00:00 UTC: 08:00 China Standard Time, when the schedule fires.
const RUN_AT: Millis = Millis(1_801_440_000_000);

/// The accounts with a reminder due at [`RUN_AT`], and the address each goes to.
const DUE: [(&str, &str); 4] = [
    ("week", "it@week.example"),       // ends 2027-02-08: seven days before
    ("monthly", "it@monthly.example"), // ends 2027-03-15: first Monday, monthly
    ("today", "it@today.example"),     // ends 2027-02-01: the day itself
    ("renewed", "it@renewed.example"), // renewed to 2027-03-01: weekly
];
/// Ends 2027-02-05: its seven-days reminder was on 2027-01-29, nothing on 2027-02-01.
const NOT_DUE: (&str, &str) = ("not-due", "it@not-due.example");

fn licensed(id: &str, plan: Plan, expiry: &str, email: &str) -> Account {
    let mut account = Account::new(
        AccountId::parse(id).unwrap(),
        format!("{id} Ltd"),
        plan,
        Millis(1_780_000_000_000),
    );
    account.license_expires = Some(china_midnight(expiry.parse().unwrap()));
    account.contract_email = Some(email.into());
    account
}

/// `acme` (the test cloud's own, no license) and the licensed accounts above.
async fn cloud_with_licenses() -> TestCloud {
    let app = spawn(Plan::Pro).await;
    let store = &app.cloud.store;
    let mut monthly = licensed("monthly", Plan::Pro, "2027-03-15", DUE[1].1);
    monthly.language = Language::French;
    for account in [
        licensed("week", Plan::Standard, "2027-02-08", DUE[0].1),
        monthly,
        licensed("today", Plan::Standard, "2027-02-01", DUE[2].1),
        licensed(NOT_DUE.0, Plan::Pro, "2027-02-05", NOT_DUE.1),
    ] {
        store.create_account(&account).await.unwrap();
    }
    // Renewed from 2027-02-08 (which would be due today) to 2027-03-01: the list of
    // licenses follows the account.
    let renewed = licensed("renewed", Plan::Pro, "2027-02-08", DUE[3].1);
    store.create_account(&renewed).await.unwrap();
    seed::license(store, &renewed, "2027-03-01", DUE[3].1)
        .await
        .unwrap();
    app
}

/// The mails in the emulator's SES, each as the JSON object that holds its subject.
async fn mails(app: &TestCloud) -> Vec<String> {
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
    found
}

/// How many mails went to `address`.
async fn mails_to(app: &TestCloud, address: &str) -> usize {
    mails(app)
        .await
        .iter()
        .filter(|mail| mail.contains(address))
        .count()
}

/// The reminders recorded as sent to `account`, by sort key.
async fn reminder_items(app: &TestCloud, account: &str) -> Vec<String> {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let output = aws_sdk_dynamodb::Client::new(&config)
        .query()
        .table_name(devcloud::REGISTRY_TABLE)
        .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("ACCOUNT#{account}")))
        .expression_attribute_values(":prefix", AttributeValue::S("REMINDER#".into()))
        .send()
        .await
        .unwrap();
    output
        .items()
        .iter()
        .filter_map(|item| item.get("sk")?.as_s().ok().cloned())
        .collect()
}

async fn assert_each_due_reminder_went_once(app: &TestCloud) {
    for (account, address) in DUE {
        assert_eq!(mails_to(app, address).await, 1, "mails to {account}");
        assert_eq!(reminder_items(app, account).await.len(), 1, "{account}");
    }
    assert_eq!(mails_to(app, NOT_DUE.1).await, 0);
    assert!(reminder_items(app, NOT_DUE.0).await.is_empty());
    // The account without a license is untouched: no mail to its admin, nothing kept.
    assert_eq!(mails_to(app, "tester@acme.example").await, 0);
    assert!(reminder_items(app, "acme").await.is_empty());
}

#[tokio::test]
async fn the_job_run_twice_in_a_day_sends_each_reminder_once() {
    let app = cloud_with_licenses().await;
    let first = app.cloud.license_reminder(RUN_AT, 50, None).await.unwrap();
    let sent: usize = first.iter().map(|r| r.sent.len()).sum();
    assert_eq!(sent, DUE.len(), "{first:#?}");
    assert_each_due_reminder_went_once(&app).await;
    assert_eq!(
        reminder_items(&app, "week").await,
        ["REMINDER#seven-days#2027-02-01"]
    );
    assert_eq!(
        reminder_items(&app, "renewed").await,
        ["REMINDER#weekly#2027-02-01"]
    );
    // The account's language: French.
    let monthly: Vec<String> = mails(&app)
        .await
        .into_iter()
        .filter(|mail| mail.contains(DUE[1].1))
        .collect();
    assert!(
        monthly[0].contains("Votre licence expire le 2027-03-15"),
        "{monthly:?}"
    );

    // The schedule fires again 10 minutes later: the day is done, nothing is read.
    let again = app
        .cloud
        .license_reminder(RUN_AT.plus(10 * Millis::MINUTE), 50, None)
        .await
        .unwrap();
    assert!(again
        .iter()
        .all(|r| r.sent.is_empty() && r.licenses_read == 0));
    assert_each_due_reminder_went_once(&app).await;
}

#[tokio::test]
async fn a_run_cut_off_after_each_account_is_finished_without_repeating() {
    let app = cloud_with_licenses().await;
    // One license a page and one page an invocation: every invocation is cut off
    // after one account, and the next goes on from there.
    let reports = app
        .cloud
        .license_reminder(RUN_AT, 1, Some(1))
        .await
        .unwrap();
    assert!(reports.len() > DUE.len(), "{} invocations", reports.len());
    assert!(reports.iter().all(|r| r.licenses_read <= 1));
    assert!(reports.iter().all(|r| r.already_sent == 0));
    let read: usize = reports.iter().map(|r| r.licenses_read).sum();
    // The five licenses in the day's window (the one renewed counts once), each read once.
    assert_eq!(read, 5);
    assert_each_due_reminder_went_once(&app).await;
}

#[tokio::test]
async fn a_plan_change_moves_the_license_and_its_reminders_with_it() {
    let app = spawn(Plan::Standard).await;
    let acme = app
        .cloud
        .store
        .account(&app.account)
        .await
        .unwrap()
        .unwrap();
    // A Standard license ending in about 100 days, converted to Pro (about 20 days).
    let old_day = china_day(devcloud::wall_clock().plus(100 * Millis::DAY));
    seed::license(
        &app.cloud.store,
        &acme,
        &old_day.to_string(),
        "it@acme.example",
    )
    .await
    .unwrap();
    let (status, changed) = app
        .call(
            "POST",
            "/v1/account/plan",
            Some(serde_json::json!({"plan": "pro"})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let new_day = china_day(Millis(changed["license_expires"].as_i64().unwrap()));
    assert!(new_day < old_day);

    // The day the old license would have ended: nothing of acme's is even read.
    let old = app
        .cloud
        .license_reminder(sending_time(old_day), 50, None)
        .await
        .unwrap();
    assert_eq!(old.iter().map(|r| r.licenses_read).sum::<usize>(), 0);
    // The new expiry day: its reminder goes.
    let new = app
        .cloud
        .license_reminder(sending_time(new_day), 50, None)
        .await
        .unwrap();
    let sent: Vec<_> = new.iter().flat_map(|r| &r.sent).collect();
    assert_eq!(sent.len(), 1, "{new:#?}");
    assert_eq!(sent[0].kind, ReminderKind::ExpiresToday);
    assert_eq!(mails_to(&app, "it@acme.example").await, 1);
}
