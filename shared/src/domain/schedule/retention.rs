//! Free retention (SPEC.md 8): a Free account keeps its measurement data and files for
//! 1 calendar year; the storage sweep deletes what is older.
//!
//! "1 year" is a calendar year on the China Standard Time calendar, not a count of days:
//! at 2028-03-01 00:00 CST the cutoff is 2027-03-01 00:00 CST, 366 days back (the span
//! holds 29 February), while at 2027-03-01 it is 365 days back. From 29 February the
//! year back ends on 28 February. What is stamped exactly at the cutoff is one year old,
//! not older, and stays.

use chrono::{DateTime, Months};

use super::CHINA_OFFSET_MILLIS;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;

/// How many calendar months a Free account keeps data and files.
pub const FREE_RETENTION_MONTHS: u32 = 12;

/// What an account keeps at an instant: everything stamped at or after `cutoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub cutoff: Millis,
}

impl Retention {
    /// The retention of `plan` (the plan in force, `Account::plan_at(now)`) at `now`:
    /// only Free has one; a Trial's data goes with the Trial, paid plans keep theirs.
    pub fn of(plan: Plan, now: Millis) -> Option<Retention> {
        (plan == Plan::Free).then(|| Retention {
            cutoff: months_earlier(now, FREE_RETENTION_MONTHS),
        })
    }

    /// Whether what is stamped `at` (a record's time, a file's upload) is to be deleted.
    pub fn expired(&self, at: Millis) -> bool {
        at < self.cutoff
    }
}

/// The same China Standard Time wall-clock time `months` calendar months before `now`
/// (the month's last day where it is shorter). Beyond the calendar's range it gives the
/// earliest instant, which deletes nothing: an error here keeps data rather than loses it.
fn months_earlier(now: Millis, months: u32) -> Millis {
    DateTime::from_timestamp_millis(now.0.saturating_add(CHINA_OFFSET_MILLIS))
        .and_then(|china| china.naive_utc().checked_sub_months(Months::new(months)))
        .map_or(Millis(i64::MIN), |earlier| {
            Millis(earlier.and_utc().timestamp_millis() - CHINA_OFFSET_MILLIS)
        })
}

#[cfg(test)]
mod tests {
    use super::super::tests::instant;
    use super::*;

    fn days_old(now: Millis, days: i64) -> Millis {
        now.plus(-days * Millis::DAY)
    }

    #[test]
    fn free_keeps_one_calendar_year_365_or_366_days() {
        // Runs at 00:00 UTC (08:00 CST), the daily sweep's time.
        let cases = [
            // (now, age in days, deleted?)
            // 2026-03-01 .. 2027-03-01: 365 days, no 29 February.
            ("2027-03-01T00:00:00Z", 364, false),
            ("2027-03-01T00:00:00Z", 365, false), // exactly one year: kept
            ("2027-03-01T00:00:00Z", 366, true),
            // 2027-03-01 .. 2028-03-01 holds 29 February 2028: 366 days.
            ("2028-03-01T00:00:00Z", 365, false),
            ("2028-03-01T00:00:00Z", 366, false),
            ("2028-03-01T00:00:00Z", 367, true),
            // From 29 February the year back ends on 28 February: 366 days.
            ("2028-02-29T00:00:00Z", 366, false),
            ("2028-02-29T00:00:00Z", 367, true),
            // 2028-02-28 .. 2027-02-28: 365 days.
            ("2028-02-28T00:00:00Z", 365, false),
            ("2028-02-28T00:00:00Z", 366, true),
        ];
        for (now, age, deleted) in cases {
            let now = instant(now);
            let retention = Retention::of(Plan::Free, now).unwrap();
            assert_eq!(
                retention.expired(days_old(now, age)),
                deleted,
                "{} days old at {}",
                age,
                now.iso()
            );
        }
    }

    #[test]
    fn the_cutoff_is_to_the_millisecond() {
        let now = instant("2027-03-01T00:00:00Z");
        let retention = Retention::of(Plan::Free, now).unwrap();
        assert_eq!(retention.cutoff, instant("2026-03-01T00:00:00Z"));
        assert!(!retention.expired(retention.cutoff));
        assert!(retention.expired(retention.cutoff.plus(-1)));
    }

    #[test]
    fn the_year_is_counted_on_the_china_calendar() {
        // 16:30 UTC on 29 Feb 2028 is 00:30 CST on 1 March: the year back is 1 March
        // 2027, not (as in UTC) 28 February.
        let now = instant("2028-02-29T16:30:00Z");
        let retention = Retention::of(Plan::Free, now).unwrap();
        assert_eq!(retention.cutoff, instant("2027-02-28T16:30:00Z"));
    }

    #[test]
    fn only_free_has_a_retention() {
        let now = instant("2027-03-01T00:00:00Z");
        for plan in [Plan::Trial, Plan::Standard, Plan::Pro] {
            assert_eq!(Retention::of(plan, now), None, "{plan}");
        }
    }

    #[test]
    fn instants_beyond_the_calendar_delete_nothing() {
        let retention = Retention::of(Plan::Free, Millis(i64::MAX)).unwrap();
        assert!(!retention.expired(Millis(i64::MIN)));
    }
}
