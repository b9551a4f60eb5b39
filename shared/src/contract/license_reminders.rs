//! The contract of [`LicenseReminders`]' claims and progress: a reminder is claimed once
//! per account, kind and day, and a day's progress reads back as saved, each day its own.
//! (The list of licenses is written by the adapters' own account writes, not through the
//! port; the job's tests read it.)

use chrono::NaiveDate;

use super::fixtures::account_id;
use crate::domain::record::Millis;
use crate::domain::schedule::{Reminder, ReminderKind};
use crate::ports::{License, LicenseReminders, RunProgress};

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a contract date")
}

/// Holds `store` to the contract of [`LicenseReminders`]' claims and progress, for
/// accounts `{prefix}-licensed` and `{prefix}-other` (which need not exist).
pub async fn license_reminders(store: &impl LicenseReminders, prefix: &str) {
    let acme = account_id(prefix, "licensed");
    let other = account_id(prefix, "other");
    let weekly = Reminder {
        kind: ReminderKind::Weekly,
        day: day("2027-02-01"),
    };
    assert!(store.claim_reminder(&acme, &weekly).await.unwrap());
    assert!(
        !store.claim_reminder(&acme, &weekly).await.unwrap(),
        "a reminder is claimed once"
    );
    // Another account, kind or day is a reminder of its own.
    assert!(store.claim_reminder(&other, &weekly).await.unwrap());
    let seven_days = Reminder {
        kind: ReminderKind::SevenDays,
        ..weekly
    };
    assert!(store.claim_reminder(&acme, &seven_days).await.unwrap());
    let next_week = Reminder {
        day: day("2027-02-08"),
        ..weekly
    };
    assert!(store.claim_reminder(&acme, &next_week).await.unwrap());

    // Days are shared by every run on one table, so this one starts its day afresh.
    let (today, tomorrow) = (day("2027-02-01"), day("2027-02-02"));
    for progress in [
        RunProgress::NotStarted,
        RunProgress::After(License {
            expires: Millis(1_801_440_000_000),
            account: acme.clone(),
        }),
        RunProgress::Done,
    ] {
        store.save_reminder_run(today, &progress).await.unwrap();
        assert_eq!(store.reminder_run(today).await.unwrap(), progress);
    }
    store
        .save_reminder_run(tomorrow, &RunProgress::NotStarted)
        .await
        .unwrap();
    assert_eq!(store.reminder_run(today).await.unwrap(), RunProgress::Done);

    // No license expires in the first second of 1970: an empty last page.
    let none = store
        .licenses(Millis(0)..Millis(1_000), None, 10)
        .await
        .unwrap();
    assert!(none.licenses.is_empty() && !none.more, "{none:?}");
}
