//! The quota sweep's list of every account, each account's storage standing (an
//! attribute of the account's item), the notices sent and each day's progress, in the
//! registry table (keys in `keys.rs`).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::accounts::account_from_item;
use super::keys::*;
use super::store::{from_item, to_item, ttl, written, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{n, s, Item};
use crate::domain::ids::AccountId;
use crate::domain::notify::StorageNotice;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::schedule::{china_midnight, StorageStanding};
use crate::ports::{AccountPage, QuotaSweep, StoreError, SweepProgress};

/// The account item's attribute the sweep keeps its standing in: `nearly-full`,
/// `over-capacity#{deadline}`, or `roomy` (or absent: never swept, or swept roomy).
const STANDING: &str = "storageStanding";
/// How long a notice sent is remembered past its date: a day's runs ask only about
/// their own day's notices, which are dated that day or by a deadline 31 days on.
const NOTICE_KEPT_DAYS: i64 = 62;
/// How long a day's progress is kept; only that day's runs read it.
const RUN_KEPT_DAYS: i64 = 8;

/// An account in the list of every account.
#[derive(Debug, Serialize, Deserialize)]
struct ListedItem {
    pk: String,
    sk: String,
}

impl ItemKind for ListedItem {
    const KIND: &'static str = "listed account";
}

/// A notice sent (or, after a crash, being sent): its key is its identity.
#[derive(Debug, Serialize, Deserialize)]
struct NoticeItem {
    pk: String,
    sk: String,
    ttl: i64,
}

impl ItemKind for NoticeItem {
    const KIND: &'static str = "storage notice sent";
}

/// A day's progress: the last account swept, or done.
#[derive(Debug, Serialize, Deserialize)]
struct RunItem {
    pk: String,
    sk: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<AccountId>,
    done: bool,
    ttl: i64,
}

impl ItemKind for RunItem {
    const KIND: &'static str = "quota sweep run";
}

impl RunItem {
    fn new(day: NaiveDate, progress: &SweepProgress) -> Self {
        RunItem {
            pk: SWEEP_RUN_PK.to_owned(),
            sk: sweep_run_sk(day),
            after: match progress {
                SweepProgress::After(account) => Some(account.clone()),
                SweepProgress::NotStarted | SweepProgress::Done => None,
            },
            done: *progress == SweepProgress::Done,
            ttl: ttl(china_midnight(day).plus(RUN_KEPT_DAYS * Millis::DAY)),
        }
    }

    fn progress(self) -> SweepProgress {
        match (self.done, self.after) {
            (true, _) => SweepProgress::Done,
            (false, Some(account)) => SweepProgress::After(account),
            (false, None) => SweepProgress::NotStarted,
        }
    }
}

fn standing_text(standing: StorageStanding) -> String {
    match standing {
        StorageStanding::Roomy => "roomy".to_owned(),
        StorageStanding::NearlyFull => "nearly-full".to_owned(),
        StorageStanding::OverCapacity { deadline } => format!("over-capacity#{deadline}"),
    }
}

fn standing_from(value: Option<&AttributeValue>) -> Result<StorageStanding, StoreError> {
    let text = match value {
        None => return Ok(StorageStanding::Roomy),
        Some(AttributeValue::S(text)) => text.as_str(),
        Some(other) => return Err(StoreError::Corrupt(format!("{STANDING} {other:?}"))),
    };
    match text.split_once('#') {
        None if text == "roomy" => Ok(StorageStanding::Roomy),
        None if text == "nearly-full" => Ok(StorageStanding::NearlyFull),
        Some(("over-capacity", deadline)) => deadline
            .parse()
            .map(|deadline| StorageStanding::OverCapacity { deadline })
            .map_err(|_| StoreError::Corrupt(format!("{STANDING} deadline `{deadline}`"))),
        _ => Err(StoreError::Corrupt(format!("{STANDING} `{text}`"))),
    }
}

impl DynamoStore {
    /// A new account's entry in the list of every account: for the transaction that
    /// creates the account ([`DynamoStore::create_account`], a Trial's sign-up).
    pub(super) fn account_list_entry(&self, account: &AccountId) -> TransactWriteItem {
        let item = ListedItem {
            pk: ACCOUNTS_PK.to_owned(),
            sk: account.as_str().to_owned(),
        };
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_item(&item)))
                    .build()
                    .expect("put is complete"),
            )
            .build()
    }
}

#[async_trait]
impl QuotaSweep for DynamoStore {
    async fn account_ids(
        &self,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<AccountPage, StoreError> {
        let start = after.map(|account| {
            Item::from([
                ("pk".to_owned(), s(ACCOUNTS_PK)),
                ("sk".to_owned(), s(account.as_str())),
            ])
        });
        // Eventually consistent: an account created in the last second is swept the
        // next day, which is the first day it could have anything to sweep.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(ACCOUNTS_PK))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        let accounts = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let item = from_item::<ListedItem>(item)?;
                AccountId::parse(&item.sk)
                    .map_err(|_| StoreError::Corrupt(format!("listed account `{}`", item.sk)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AccountPage {
            accounts,
            more: output.last_evaluated_key.is_some(),
        })
    }

    async fn swept_account(
        &self,
        id: &AccountId,
    ) -> Result<Option<(Account, StorageStanding)>, StoreError> {
        let Some(item) = self.get(account_pk(id), ACCOUNT_SK).await? else {
            return Ok(None);
        };
        let standing = standing_from(item.get(STANDING))?;
        Ok(Some((account_from_item(item)?, standing)))
    }

    async fn set_storage_standing(
        &self,
        account: &AccountId,
        previous: StorageStanding,
        standing: StorageStanding,
    ) -> Result<bool, StoreError> {
        // On the standing read: of two sweeps racing, the second finds it moved and
        // leaves it.
        let condition = if previous == StorageStanding::Roomy {
            "attribute_exists(pk) AND (attribute_not_exists(#standing) OR #standing = :previous)"
        } else {
            "#standing = :previous"
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET #standing = :standing")
            .condition_expression(condition)
            .expression_attribute_names("#standing", STANDING)
            .expression_attribute_values(":previous", s(standing_text(previous)))
            .expression_attribute_values(":standing", s(standing_text(standing)))
            .send()
            .await;
        written(result)
    }

    async fn lapse_plan(&self, account: &Account, to: Plan) -> Result<bool, StoreError> {
        let Some(expires) = account.license_expires else {
            return Ok(false);
        };
        // On the plan and expiry read: a renewal or plan change that came first keeps
        // the account on its plan.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET #plan = :to")
            .condition_expression("#plan = :from AND licenseExpires = :expires")
            .expression_attribute_names("#plan", "plan")
            .expression_attribute_values(":from", s(account.plan.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":expires", n(expires.0))
            .send()
            .await;
        written(result)
    }

    async fn claim_notice(
        &self,
        account: &AccountId,
        notice: &StorageNotice,
    ) -> Result<bool, StoreError> {
        // The key (account, kind, date) is the notice's identity: a second put of it is
        // refused, so no run, retry or concurrent invocation claims it twice.
        let item = NoticeItem {
            pk: account_pk(account),
            sk: storage_notice_sk(notice),
            ttl: ttl(china_midnight(notice.date).plus(NOTICE_KEPT_DAYS * Millis::DAY)),
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

    async fn sweep_run(&self, day: NaiveDate) -> Result<SweepProgress, StoreError> {
        Ok(self
            .get_as::<RunItem>(SWEEP_RUN_PK.to_owned(), &sweep_run_sk(day))
            .await?
            .map_or(SweepProgress::NotStarted, RunItem::progress))
    }

    async fn save_sweep_run(
        &self,
        day: NaiveDate,
        progress: &SweepProgress,
    ) -> Result<(), StoreError> {
        self.put(to_item(&RunItem::new(day, progress))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notify::StorageNoticeKind;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_standing_is_stored_as_text_and_read_back() {
        for standing in [
            StorageStanding::Roomy,
            StorageStanding::NearlyFull,
            StorageStanding::OverCapacity {
                deadline: day("2027-03-04"),
            },
        ] {
            let stored = s(standing_text(standing));
            assert_eq!(standing_from(Some(&stored)).unwrap(), standing);
        }
        assert_eq!(standing_from(None).unwrap(), StorageStanding::Roomy);
        assert_eq!(
            standing_text(StorageStanding::OverCapacity {
                deadline: day("2027-03-04")
            }),
            "over-capacity#2027-03-04"
        );
        for corrupt in ["full", "over-capacity#soon", "nearly-full#2027-03-04"] {
            assert!(standing_from(Some(&s(corrupt))).is_err(), "{corrupt}");
        }
        assert!(standing_from(Some(&n(1))).is_err());
    }

    #[test]
    fn a_notice_is_keyed_by_account_kind_and_date_and_expires() {
        let notice = StorageNotice {
            kind: StorageNoticeKind::OverCapacity,
            date: day("2027-03-04"),
        };
        assert_eq!(
            storage_notice_sk(&notice),
            "NOTICE#over-capacity#2027-03-04"
        );
    }

    #[test]
    fn a_days_progress_is_stored_and_read_back() {
        let today = day("2027-02-01");
        for progress in [
            SweepProgress::NotStarted,
            SweepProgress::After(AccountId::parse("acme").unwrap()),
            SweepProgress::Done,
        ] {
            let item = to_item(&RunItem::new(today, &progress));
            assert_eq!(item["pk"], s("RUN#quota-sweep"));
            assert_eq!(item["sk"], s("2027-02-01"));
            assert_eq!(from_item::<RunItem>(item).unwrap().progress(), progress);
        }
    }
}
