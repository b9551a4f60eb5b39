//! The list of licenses by expiry, the reminders sent and each day's progress of the
//! license-reminder job, in the registry table (keys in `keys.rs`).

use std::ops::Range;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, to_item, ttl, written, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{n, s, Item};
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::schedule::{china_midnight, Reminder};
use crate::ports::{License, LicensePage, LicenseReminders, RunProgress, StoreError};

/// How long a sent reminder is remembered: a run only ever asks about its own day, so
/// a month is ample, and DynamoDB then removes it at no write cost.
const SENT_KEPT_DAYS: i64 = 31;
/// How long a day's progress is kept; only that day's runs read it.
const RUN_KEPT_DAYS: i64 = 8;

/// A paid license in the list of licenses.
#[derive(Debug, Serialize, Deserialize)]
struct LicenseItem {
    pk: String,
    sk: String,
    account: AccountId,
    expires: i64,
}

impl ItemKind for LicenseItem {
    const KIND: &'static str = "license";
}

impl From<&License> for LicenseItem {
    fn from(license: &License) -> Self {
        LicenseItem {
            pk: LICENSES_PK.to_owned(),
            sk: license_sk(license.expires, &license.account),
            account: license.account.clone(),
            expires: license.expires.0,
        }
    }
}

/// A reminder sent (or, after a crash, being sent): its key is its identity.
#[derive(Debug, Serialize, Deserialize)]
struct SentItem {
    pk: String,
    sk: String,
    ttl: i64,
}

impl ItemKind for SentItem {
    const KIND: &'static str = "reminder sent";
}

/// A day's progress: the last license handled, or done.
#[derive(Debug, Serialize, Deserialize)]
struct RunItem {
    pk: String,
    sk: String,
    #[serde(rename = "afterExpires", skip_serializing_if = "Option::is_none")]
    after_expires: Option<i64>,
    #[serde(rename = "afterAccount", skip_serializing_if = "Option::is_none")]
    after_account: Option<AccountId>,
    done: bool,
    ttl: i64,
}

impl ItemKind for RunItem {
    const KIND: &'static str = "reminder run";
}

impl RunItem {
    fn new(day: NaiveDate, progress: &RunProgress) -> Self {
        let after = match progress {
            RunProgress::After(license) => Some(license),
            RunProgress::NotStarted | RunProgress::Done => None,
        };
        RunItem {
            pk: REMINDER_RUN_PK.to_owned(),
            sk: reminder_run_sk(day),
            after_expires: after.map(|l| l.expires.0),
            after_account: after.map(|l| l.account.clone()),
            done: *progress == RunProgress::Done,
            ttl: ttl(china_midnight(day).plus(RUN_KEPT_DAYS * Millis::DAY)),
        }
    }

    fn progress(self) -> RunProgress {
        match (self.done, self.after_expires, self.after_account) {
            (true, _, _) => RunProgress::Done,
            (false, Some(expires), Some(account)) => RunProgress::After(License {
                expires: Millis(expires),
                account,
            }),
            _ => RunProgress::NotStarted,
        }
    }
}

/// The put of `account`'s entry in the list of licenses, for a transaction.
fn put_license(table: &str, license: &License) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(to_item(&LicenseItem::from(license))))
                .build()
                .expect("put is complete"),
        )
        .build()
}

impl DynamoStore {
    /// Sets `account`'s license to end at `expires` and moves its entry in the list of
    /// licenses, in one transaction, if the account still has the license it was read
    /// with: `false` otherwise (read again and decide anew). The list and the account
    /// agree because every write of `licenseExpires` moves the entry with it (this,
    /// [`DynamoStore::create_account`] and the plan change).
    pub async fn set_license(
        &self,
        account: &Account,
        expires: Millis,
    ) -> Result<bool, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET licenseExpires = :new")
            .expression_attribute_values(":new", n(expires.0));
        update = match account.license_expires {
            Some(old) => update
                .condition_expression("licenseExpires = :old")
                .expression_attribute_values(":old", n(old.0)),
            None => update.condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(licenseExpires)",
            ),
        };
        let mut items = vec![TransactWriteItem::builder()
            .update(update.build().expect("update is complete"))
            .build()];
        items.extend(self.moved_license_entry(account, expires));
        self.transact_or_refused(items).await
    }

    /// The writes that move `account`'s entry in the list of licenses (as read, with its
    /// old expiry) to `expires`: the old one's delete where it differs, and the new put.
    /// For the transaction that writes the account's `licenseExpires`.
    pub(super) fn moved_license_entry(
        &self,
        account: &Account,
        expires: Millis,
    ) -> Vec<TransactWriteItem> {
        let mut items = Vec::new();
        if let Some(old) = account.license_expires.filter(|old| *old != expires) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(LICENSES_PK))
                .key("sk", s(license_sk(old, &account.id)))
                .build()
                .expect("delete is complete");
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        items.push(put_license(
            &self.table,
            &License {
                expires,
                account: account.id.clone(),
            },
        ));
        items
    }

    /// The entry of a new account's license in the list, if it has one: for
    /// [`DynamoStore::create_account`]'s transaction.
    pub(super) fn new_license_entry(&self, account: &Account) -> Option<TransactWriteItem> {
        account.license_expires.map(|expires| {
            put_license(
                &self.table,
                &License {
                    expires,
                    account: account.id.clone(),
                },
            )
        })
    }
}

#[async_trait]
impl LicenseReminders for DynamoStore {
    async fn licenses(
        &self,
        expiring: Range<Millis>,
        after: Option<&License>,
        limit: usize,
    ) -> Result<LicensePage, StoreError> {
        let start = after.map(|license| {
            Item::from([
                ("pk".to_owned(), s(LICENSES_PK)),
                (
                    "sk".to_owned(),
                    s(license_sk(license.expires, &license.account)),
                ),
            ])
        });
        // Eventually consistent: a license written in the last second is read by the
        // next run, and the account itself is read consistently before a reminder.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(LICENSES_PK))
            .expression_attribute_values(":from", s(license_from(expiring.start)))
            .expression_attribute_values(":to", s(license_from(expiring.end)))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        let licenses = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                from_item::<LicenseItem>(item).map(|item| License {
                    expires: Millis(item.expires),
                    account: item.account,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LicensePage {
            licenses,
            more: output.last_evaluated_key.is_some(),
        })
    }

    async fn reminder_run(&self, day: NaiveDate) -> Result<RunProgress, StoreError> {
        Ok(self
            .get_as::<RunItem>(REMINDER_RUN_PK.to_owned(), &reminder_run_sk(day))
            .await?
            .map_or(RunProgress::NotStarted, RunItem::progress))
    }

    async fn save_reminder_run(
        &self,
        day: NaiveDate,
        progress: &RunProgress,
    ) -> Result<(), StoreError> {
        self.put(to_item(&RunItem::new(day, progress))).await
    }

    async fn claim_reminder(
        &self,
        account: &AccountId,
        reminder: &Reminder,
    ) -> Result<bool, StoreError> {
        // The key (account, kind, day) is the reminder's identity: a second put of it is
        // refused, so no run, retry or concurrent invocation claims it twice.
        let item = SentItem {
            pk: account_pk(account),
            sk: reminder_sent_sk(reminder.kind, reminder.day),
            ttl: ttl(reminder.send_at().plus(SENT_KEPT_DAYS * Millis::DAY)),
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::item_size;
    use crate::domain::schedule::ReminderKind;

    fn license() -> License {
        License {
            expires: Millis(1_805_126_400_000),
            account: AccountId::parse("acme").unwrap(),
        }
    }

    #[test]
    fn a_license_entry_is_keyed_by_expiry_then_account() {
        let item = to_item(&LicenseItem::from(&license()));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("LICENSES")),
                ("sk".into(), s("001805126400000#acme")),
                ("account".into(), s("acme")),
                ("expires".into(), n(1_805_126_400_000_i64)),
            ])
        );
        // What a day's Query reads per license (README, "License reminders"): with a
        // 20-character account ID (the longest is 32), 87 bytes, 47 in a 4 KB read unit;
        // with `acme`, 55.
        let long = License {
            account: AccountId::parse("a-twenty-char-acct-1").unwrap(),
            ..license()
        };
        assert_eq!(item_size(&to_item(&LicenseItem::from(&long))), 87);
        assert_eq!(item_size(&item), 55);
    }

    #[test]
    fn a_sent_reminder_is_keyed_by_account_kind_and_day_and_expires() {
        let reminder = Reminder {
            kind: ReminderKind::SevenDays,
            day: "2027-03-08".parse().unwrap(),
        };
        let item = SentItem {
            pk: account_pk(&license().account),
            sk: reminder_sent_sk(reminder.kind, reminder.day),
            ttl: ttl(reminder.send_at().plus(SENT_KEPT_DAYS * Millis::DAY)),
        };
        let item = to_item(&item);
        assert_eq!(item["pk"], s("ACCOUNT#acme"));
        assert_eq!(item["sk"], s("REMINDER#seven-days#2027-03-08"));
        // 2027-03-08T00:00:00Z plus 31 days.
        assert_eq!(item["ttl"], n(1_804_464_000_i64 + 31 * 86_400));
    }

    #[test]
    fn a_days_progress_is_stored_and_read_back() {
        let day: NaiveDate = "2027-02-01".parse().unwrap();
        for progress in [
            RunProgress::NotStarted,
            RunProgress::After(license()),
            RunProgress::Done,
        ] {
            let item = to_item(&RunItem::new(day, &progress));
            assert_eq!(item["pk"], s("RUN#license-reminder"));
            assert_eq!(item["sk"], s("2027-02-01"));
            let read = from_item::<RunItem>(item).unwrap().progress();
            assert_eq!(read, progress);
        }
    }
}
