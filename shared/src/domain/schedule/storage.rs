//! The storage sweep's rule (SPEC.md 8): how full an account is against its plan's
//! capacity, and what the daily sweep does about it, given what it remembered.
//!
//! - **Nearly full**: less than 10% of the capacity free (exactly 10% free is not).
//!   Noticed once per crossing: the sweep notifies when an account goes from roomy to
//!   nearly full, and again only after it has been roomy in between. Coming down from
//!   over capacity to nearly full is no crossing (it never had 10% free meanwhile).
//! - **Over capacity**: more used than the capacity (exactly full is nearly full). The
//!   first sweep to see it notifies the contract e-mail with a deadline 31 days after that
//!   day; the account has the whole deadline day to get back under. Deletion is due from
//!   the day after the deadline (the 32nd day) if it is still over, and stays due on every
//!   sweep until it is not, so a deletion done in bounded batches resumes where it
//!   stopped. The deadline stays keyed to the first notice, so a later sweep never moves it.
//!
//! The sweep stores the [`StorageStanding`] it is given back; that is the crossing state.

use chrono::NaiveDate;

use super::days_after;

/// "Nearly full" is less than this share of the capacity free.
pub const NEARLY_FULL_BELOW_FREE_PERCENT: u64 = 10;

/// Days from the over-capacity notice to the deletion deadline (the last day to act).
pub const GRACE_DAYS: u64 = 31;

/// How full an account is against its plan's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// At least 10% of the capacity free.
    Roomy,
    /// Less than 10% free, but not over.
    NearlyFull,
    /// More used than the plan holds.
    OverCapacity,
}

/// How full `used_bytes` (files + measurement data) is in `capacity_bytes`.
pub fn fill(used_bytes: u64, capacity_bytes: u64) -> Fill {
    if used_bytes > capacity_bytes {
        return Fill::OverCapacity;
    }
    // free / capacity < 10 / 100, in integers wide enough never to overflow.
    let free = u128::from(capacity_bytes - used_bytes);
    if free * 100 < u128::from(capacity_bytes) * u128::from(NEARLY_FULL_BELOW_FREE_PERCENT) {
        Fill::NearlyFull
    } else {
        Fill::Roomy
    }
}

/// What the sweep remembers of an account between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageStanding {
    /// Roomy at the last sweep (or never swept).
    #[default]
    Roomy,
    /// Nearly full, and told so.
    NearlyFull,
    /// Over capacity since a notice whose deadline is this China Standard Time day.
    OverCapacity { deadline: NaiveDate },
}

/// What the sweep must do for an account today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageAction {
    /// Tell the account it has less than 10% free.
    NotifyNearlyFull,
    /// Tell the contract e-mail it is over capacity, and that its data will be deleted
    /// after `deadline` unless it is back under by then.
    NotifyOverCapacity { deadline: NaiveDate },
    /// Delete all stored data and files, then notify. Due again on every sweep until the
    /// account is under capacity; the deletion notice is keyed by `deadline`, so a
    /// deletion spread over several runs mails once.
    DeleteAll { deadline: NaiveDate },
}

/// The outcome of one sweep of one account: what to store, and what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageSweep {
    pub standing: StorageStanding,
    pub action: Option<StorageAction>,
}

/// Sweeps one account on `today` (the China Standard Time day of the run), given what
/// the last sweep stored, the bytes it uses and its plan's capacity (of the plan in
/// force: a lapsed license counts Free's 5 GB).
pub fn sweep_storage(
    previous: StorageStanding,
    used_bytes: u64,
    capacity_bytes: u64,
    today: NaiveDate,
) -> StorageSweep {
    let (standing, action) = match (fill(used_bytes, capacity_bytes), previous) {
        (Fill::Roomy, _) => (StorageStanding::Roomy, None),
        (Fill::NearlyFull, StorageStanding::Roomy) => (
            StorageStanding::NearlyFull,
            Some(StorageAction::NotifyNearlyFull),
        ),
        (Fill::NearlyFull, _) => (StorageStanding::NearlyFull, None),
        (Fill::OverCapacity, StorageStanding::OverCapacity { deadline }) => (
            previous,
            (today > deadline).then_some(StorageAction::DeleteAll { deadline }),
        ),
        (Fill::OverCapacity, _) => {
            let deadline = days_after(today, GRACE_DAYS);
            (
                StorageStanding::OverCapacity { deadline },
                Some(StorageAction::NotifyOverCapacity { deadline }),
            )
        }
    };
    StorageSweep { standing, action }
}

#[cfg(test)]
mod tests {
    use super::super::tests::day;
    use super::*;
    use crate::domain::plan::Plan;
    use proptest::prelude::*;

    const GB: u64 = 1_000_000_000;

    #[test]
    fn exactly_ten_percent_free_is_roomy_and_a_byte_less_is_nearly_full() {
        let capacity = Plan::Free.limits().storage_bytes; // 5 GB
        let cases = [
            (0, Fill::Roomy),
            (capacity / 10 * 9, Fill::Roomy), // 10% free exactly
            (capacity / 10 * 9 + 1, Fill::NearlyFull),
            (capacity, Fill::NearlyFull), // full, not over
            (capacity + 1, Fill::OverCapacity),
            (u64::MAX, Fill::OverCapacity),
        ];
        for (used, expected) in cases {
            assert_eq!(fill(used, capacity), expected, "{used} of {capacity}");
        }
        // A capacity not divisible by 10: 10% of 1001 is 100.1 bytes, so 100 free is
        // under it and 101 free is not.
        assert_eq!(fill(901, 1001), Fill::NearlyFull);
        assert_eq!(fill(900, 1001), Fill::Roomy);
        assert_eq!(fill(u64::MAX, u64::MAX), Fill::NearlyFull);
        assert_eq!(fill(0, 0), Fill::Roomy);
    }

    #[test]
    fn nearly_full_is_noticed_once_per_crossing() {
        let capacity = 100 * GB;
        let today = day("2027-01-10");
        let runs = [
            // (used, action expected)
            (80 * GB, None),
            (95 * GB, Some(StorageAction::NotifyNearlyFull)),
            (96 * GB, None),
            (99 * GB, None),
            (50 * GB, None),
            (91 * GB, Some(StorageAction::NotifyNearlyFull)),
        ];
        let mut standing = StorageStanding::default();
        for (used, expected) in runs {
            let sweep = sweep_storage(standing, used, capacity, today);
            assert_eq!(sweep.action, expected, "at {used}");
            standing = sweep.standing;
        }
    }

    #[test]
    fn over_capacity_deletes_on_the_32nd_day_not_the_31st() {
        let capacity = 5 * GB;
        let noticed = day("2027-01-31");
        let deadline = day("2027-03-03"); // 31 days on, through February
        let first = sweep_storage(StorageStanding::NearlyFull, 6 * GB, capacity, noticed);
        assert_eq!(
            first.action,
            Some(StorageAction::NotifyOverCapacity { deadline })
        );
        let cases = [
            (1, None),
            (30, None),
            (31, None), // the deadline day itself: still the customer's
            (32, Some(StorageAction::DeleteAll { deadline })),
            (33, Some(StorageAction::DeleteAll { deadline })), // resumes, same key
        ];
        for (after, expected) in cases {
            let today = days_after(noticed, after);
            let sweep = sweep_storage(first.standing, 6 * GB, capacity, today);
            assert_eq!(sweep.action, expected, "day {after} ({today})");
            assert_eq!(sweep.standing, first.standing, "the deadline never moves");
        }
    }

    #[test]
    fn over_capacity_deadline_counts_a_leap_day() {
        // 31 days after 1 February is 3 March in a leap year, 4 March in another.
        let first = sweep_storage(StorageStanding::Roomy, 2, 1, day("2028-02-01"));
        assert_eq!(
            first.standing,
            StorageStanding::OverCapacity {
                deadline: day("2028-03-03")
            }
        );
        let first = sweep_storage(StorageStanding::Roomy, 2, 1, day("2027-02-01"));
        assert_eq!(
            first.standing,
            StorageStanding::OverCapacity {
                deadline: day("2027-03-04")
            }
        );
    }

    #[test]
    fn getting_back_under_before_the_deadline_cancels_deletion() {
        let over = StorageStanding::OverCapacity {
            deadline: day("2027-02-01"),
        };
        let sweep = sweep_storage(over, 4_900_000_000, 5 * GB, day("2027-02-05"));
        assert_eq!(sweep.standing, StorageStanding::NearlyFull);
        assert_eq!(sweep.action, None, "no crossing: it never had 10% free");
        let sweep = sweep_storage(over, GB, 5 * GB, day("2027-02-05"));
        assert_eq!(
            (sweep.standing, sweep.action),
            (StorageStanding::Roomy, None)
        );
        // Over again later: a new notice and a new deadline.
        let again = sweep_storage(sweep.standing, 6 * GB, 5 * GB, day("2027-03-01"));
        assert_eq!(
            again.action,
            Some(StorageAction::NotifyOverCapacity {
                deadline: day("2027-04-01")
            })
        );
    }

    #[test]
    fn a_lapsed_license_is_swept_against_free_capacity() {
        // 6 GB is roomy on Standard (50 GB) and over on Free (5 GB).
        let standard = Plan::Standard.limits().storage_bytes;
        let free = Plan::Free.limits().storage_bytes;
        let today = day("2027-06-16");
        assert_eq!(
            sweep_storage(StorageStanding::Roomy, 6 * GB, standard, today).action,
            None
        );
        assert_eq!(
            sweep_storage(StorageStanding::Roomy, 6 * GB, free, today).action,
            Some(StorageAction::NotifyOverCapacity {
                deadline: day("2027-07-17")
            })
        );
    }

    proptest! {
        #[test]
        fn deletion_is_never_due_before_the_32nd_day_after_the_notice(
            usages in proptest::collection::vec(0u64..200, 1..80),
        ) {
            // One sweep a day over random usage of a 100-byte plan.
            let mut standing = StorageStanding::default();
            let mut noticed: Option<NaiveDate> = None;
            for (offset, used) in usages.into_iter().enumerate() {
                let today = days_after(day("2027-01-01"), offset as u64);
                let sweep = sweep_storage(standing, used, 100, today);
                match sweep.action {
                    Some(StorageAction::NotifyOverCapacity { .. }) => noticed = Some(today),
                    Some(StorageAction::DeleteAll { .. }) => {
                        let noticed = noticed.expect("a notice comes before deletion");
                        prop_assert!((today - noticed).num_days() >= 32);
                        prop_assert!(used > 100);
                    }
                    Some(StorageAction::NotifyNearlyFull) => {
                        prop_assert!(standing == StorageStanding::Roomy);
                    }
                    None => {}
                }
                if fill(used, 100) != Fill::OverCapacity {
                    noticed = None;
                }
                standing = sweep.standing;
            }
        }
    }
}
