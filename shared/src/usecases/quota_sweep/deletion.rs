//! Deleting an account's stored data and files in bounded steps: all of it (an account
//! over capacity past its deadline, a Trial ended), or what is older than a cutoff (a
//! Free account's retention).
//!
//! **Bounded.** A deletion goes a step at a time (200 records, or one file) and looks
//! at the invocation's clock before each after the first that deleted something; when the time is up it stops, and the next
//! invocation, which sweeps the account again, goes on where it stopped. Every
//! step is idempotent: what is gone is not found again, so a step repeated after a
//! crash deletes nothing twice and loses nothing it should keep.
//!
//! **Rollups.** A day's rollup items are stamped with the day's start, so a cutoff within
//! a day deletes that day's with what is older; the key is then rolled up only from the
//! next day on, and its graphs read the rest of the cutoff's day from its records.
//!
//! **Where the data is.** Records are found under the account's instrument keys as the
//! records table's stream counted them (`DataUsage::data_keys`); the stream's usage
//! function takes their bytes off the account as they are deleted. A key whose first
//! records were written in the last minutes, before the stream counted them, is found
//! by the next day's sweep. Files are the indexed files of each of the account's groups;
//! each goes object first, then its entry with its bytes.

use async_trait::async_trait;

use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::ports::{Bucket, DataUsage, Files, GroupKey, Groups, RecordStore, StoreError};
use crate::usecases::files::delete_indexed;

/// Records deleted a step, between two looks at the clock: a Query page of keys and 8
/// BatchWriteItem calls of 25, a fraction of a second.
const RECORDS_A_STEP: usize = 200;

/// Steps a deletion takes without asking for time while none has deleted anything yet
/// (each a Query of a key emptied before, a few milliseconds): enough for an account's
/// keys, bounded for one with very many.
const UNCHECKED_STEPS: usize = 20;

/// How a deletion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Nothing that was to go is left.
    Done,
    /// The invocation's time ran out first; the next invocation goes on.
    Unfinished,
}

/// What to delete: everything, or what is stamped before an instant (a record's time,
/// a file's upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doomed {
    All,
    Before(Millis),
}

impl Doomed {
    fn before(self) -> Millis {
        match self {
            Doomed::All => Millis(i64::MAX),
            Doomed::Before(cutoff) => cutoff,
        }
    }
}

/// Deletes an account's stored data and files: the sweep's one way to delete, so its
/// decisions can be tested apart from the stores.
#[async_trait]
pub trait DeleteStored: Send + Sync {
    /// Deletes `account`'s `doomed` records and files a step at a time while
    /// `time_left()` says another step fits.
    async fn delete_stored(
        &self,
        account: &AccountId,
        doomed: Doomed,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<Deletion, StoreError>;
}

/// Where an account's data and files are: the registry (its instrument keys, groups
/// and files), the records table and the files bucket.
pub struct StoredData<'a, S, R, B> {
    pub store: &'a S,
    pub records: &'a R,
    pub bucket: &'a B,
}

#[async_trait]
impl<S, R, B> DeleteStored for StoredData<'_, S, R, B>
where
    S: DataUsage + Files + Groups,
    R: RecordStore,
    B: Bucket,
{
    async fn delete_stored(
        &self,
        account: &AccountId,
        doomed: Doomed,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<Deletion, StoreError> {
        let before = doomed.before();
        // Steps go without asking until one has deleted something (at most
        // [`UNCHECKED_STEPS`]): each deletion gets at least one step further, and keys
        // emptied already (their counts stay) do not use up its time, so no invocation,
        // however short of time, only repeats its predecessor's work. A step is a
        // fraction of a second; the clock keeps a minute.
        let (mut progressed, mut unchecked) = (false, 0);
        let mut may_go = |progressed: bool| {
            if !progressed && unchecked < UNCHECKED_STEPS {
                unchecked += 1;
                return true;
            }
            time_left()
        };
        for key in self.store.data_keys(account).await? {
            loop {
                if !may_go(progressed) {
                    return Ok(Deletion::Unfinished);
                }
                let step = self
                    .records
                    .delete_before(&key, before, RECORDS_A_STEP)
                    .await?;
                progressed |= step.deleted > 0;
                if !step.more {
                    break;
                }
            }
            // The day items of its rollups holding the cutoff went with the records
            // before it: the key's graphs read that day from its records.
            if let Doomed::Before(cutoff) = doomed {
                // The first day whose items start at or after the cutoff: kept whole.
                let kept_day = cutoff.plus(Millis::DAY - 1).start_of_day();
                self.store
                    .keep_rollups_from(account, &key, kept_day)
                    .await?;
            }
        }
        for group in self.store.groups(account).await? {
            let key = GroupKey {
                account,
                group: &group.id,
            };
            for entry in self.store.files(key).await? {
                if entry.uploaded >= before {
                    continue;
                }
                if !may_go(progressed) {
                    return Ok(Deletion::Unfinished);
                }
                delete_indexed(self.store, self.bucket, &entry).await?;
                progressed = true;
            }
        }
        Ok(Deletion::Done)
    }
}
