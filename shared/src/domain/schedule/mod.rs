//! The rules of the scheduled jobs (SPEC.md 8) as pure functions: license reminders,
//! storage standing, Free retention, a Trial's end, a lapsed license and plan changes.
//! Nothing here reads a clock or a store; the jobs pass `now` (or the day it falls on)
//! and keep what a rule asks them to remember.
//!
//! One calendar for every rule: **China Standard Time** (UTC+8). Reminders go out at
//! 08:00 China Standard Time, which is 00:00 UTC, so the daily jobs run at 00:00 UTC and
//! the day they ask about is the same date in both. Days, months and years of every rule
//! (deadlines, retention, "once a calendar month") are counted on that calendar, not the
//! account's time zone: an account's zone is a setting its admin can change, and a rule
//! that moved with it could be stepped around (two plan changes in one "month").

mod license;
mod plan_change;
mod reminder_window;
mod reminders;
mod retention;
mod storage;
mod trial;

pub use license::{lapse, Lapse};
pub use plan_change::{
    change_plan, convert_days, next_change_allowed, PlanChange, PlanChangeError,
    MAX_REMAINING_MONTHS, STANDARD_DAYS_PER_PRO_DAY,
};
pub use reminder_window::{expiries_reminded_on, license_expiries_reminded_on};
pub use reminders::{reminder_due, reminder_due_for_license, reminders, Reminder, ReminderKind};
pub use retention::{Retention, FREE_RETENTION_MONTHS};
pub use storage::{
    fill, sweep_storage, Fill, StorageAction, StorageStanding, StorageSweep, GRACE_DAYS,
    NEARLY_FULL_BELOW_FREE_PERCENT,
};
pub use trial::{trial_standing, TrialStanding};

use chrono::{Datelike, Days, Months, NaiveDate};

use super::record::Millis;

/// China Standard Time is UTC+8 all year: China has kept no daylight saving time since
/// 1991, so a fixed offset is exact for every date a license or an account can have, and
/// turning a China day back into an instant never meets a skipped or repeated hour. (A
/// test holds it equal to the `Asia/Shanghai` zone.)
const CHINA_OFFSET_MILLIS: i64 = 8 * 60 * Millis::MINUTE;

/// How far a scheduled event's `time` may be from the clock of the invocation it
/// reaches: Lambda retries an event for up to 6 hours (its default maximum event age).
/// An event further off is not the schedule's (a sample event, a hand-made one) and
/// would lapse, delete or remind on another day's terms, so it is refused.
pub const SCHEDULED_EVENT_MAX_SKEW_MILLIS: i64 = 6 * 60 * Millis::MINUTE;

/// Whether a scheduled event of `time` may be acted on at `now` (see
/// [`SCHEDULED_EVENT_MAX_SKEW_MILLIS`]).
pub fn scheduled_event_is_current(time: Millis, now: Millis) -> bool {
    time.0.abs_diff(now.0) <= SCHEDULED_EVENT_MAX_SKEW_MILLIS.unsigned_abs()
}

/// The hour of a China Standard Time day at which reminders and notices go out.
pub const SENDING_HOUR: i64 = 8;

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01, the epoch of [`Millis`].
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The China Standard Time day an instant falls on: the day the schedule's rules count.
/// Instants beyond the calendar's range (hundreds of thousands of years) give its first
/// or last day rather than a panic.
pub fn china_day(at: Millis) -> NaiveDate {
    let days =
        at.0.saturating_add(CHINA_OFFSET_MILLIS)
            .div_euclid(Millis::DAY);
    i32::try_from(days.saturating_add(UNIX_EPOCH_DAYS_FROM_CE))
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(if days < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// The instant a China Standard Time day begins (00:00 CST, 16:00 UTC the day before).
pub fn china_midnight(day: NaiveDate) -> Millis {
    let days = i64::from(day.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE;
    Millis(days * Millis::DAY - CHINA_OFFSET_MILLIS)
}

/// The instant a reminder or notice dated `day` goes out: 08:00 China Standard Time,
/// which is 00:00 UTC of the same date.
pub fn sending_time(day: NaiveDate) -> Millis {
    china_midnight(day).plus(SENDING_HOUR * 60 * Millis::MINUTE)
}

/// `day` plus `days`, staying on the calendar's last day rather than overflowing it.
fn days_after(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// `day` less `days`, staying on the calendar's first day rather than overflowing it.
fn days_before(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

/// The same day of the month `months` calendar months earlier; where that month is
/// shorter, its last day (three months before 31 May is 28 or 29 February).
fn months_before(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// The same day of the month `months` calendar months later; where that month is
/// shorter, its last day (thirteen months after 31 January 2027 is 29 February 2028).
fn months_after(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The first day of the month after the one `day` is in.
fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    months_after(day.with_day(1).expect("every month has a first day"), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    pub(super) fn day(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    pub(super) fn instant(text: &str) -> Millis {
        Millis(
            chrono::DateTime::parse_from_rfc3339(text)
                .expect("a test instant")
                .timestamp_millis(),
        )
    }

    #[test]
    fn epoch_constant_is_chronos_day_count_of_1970() {
        assert_eq!(
            i64::from(day("1970-01-01").num_days_from_ce()),
            UNIX_EPOCH_DAYS_FROM_CE
        );
    }

    #[test]
    fn china_day_turns_at_16_utc() {
        let cases = [
            ("2027-03-01T15:59:59.999Z", "2027-03-01"),
            ("2027-03-01T16:00:00Z", "2027-03-02"),
            ("2027-03-02T00:00:00Z", "2027-03-02"),
            ("1969-12-31T16:00:00Z", "1970-01-01"),
            ("1969-12-31T15:59:59Z", "1969-12-31"),
        ];
        for (at, expected) in cases {
            assert_eq!(china_day(instant(at)), day(expected), "{at}");
        }
    }

    #[test]
    fn notices_go_out_at_08_china_time_which_is_midnight_utc() {
        assert_eq!(
            sending_time(day("2028-02-29")),
            instant("2028-02-29T00:00:00Z")
        );
        assert_eq!(
            china_midnight(day("2028-02-29")),
            instant("2028-02-28T16:00:00Z")
        );
    }

    #[test]
    fn a_scheduled_event_is_acted_on_within_six_hours_of_its_time_only() {
        let fired = instant("2027-02-01T00:00:00Z");
        for (now, current) in [
            ("2027-02-01T00:00:00Z", true),
            ("2027-02-01T06:00:00Z", true), // Lambda's last retry
            ("2027-02-01T06:00:00.001Z", false),
            ("2027-01-31T18:00:00Z", true),
            ("2027-01-31T17:59:59.999Z", false),
            ("2026-12-03T00:00:00Z", false), // the sample event, today
        ] {
            assert_eq!(
                scheduled_event_is_current(fired, instant(now)),
                current,
                "{now}"
            );
        }
        assert!(!scheduled_event_is_current(
            Millis(i64::MIN),
            Millis(i64::MAX)
        ));
    }

    #[test]
    fn instants_beyond_the_calendar_saturate() {
        assert_eq!(china_day(Millis(i64::MAX)), NaiveDate::MAX);
        assert_eq!(china_day(Millis(i64::MIN)), NaiveDate::MIN);
        assert_eq!(days_after(NaiveDate::MAX, 31), NaiveDate::MAX);
        assert_eq!(days_before(NaiveDate::MIN, 31), NaiveDate::MIN);
    }

    proptest! {
        #[test]
        fn china_day_matches_the_shanghai_zone(
            secs in Utc.with_ymd_and_hms(1992, 1, 1, 0, 0, 0).unwrap().timestamp()
                ..Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).unwrap().timestamp()
        ) {
            let at = Millis(secs * 1000);
            let shanghai = Utc
                .timestamp_opt(secs, 0)
                .unwrap()
                .with_timezone(&chrono_tz::Asia::Shanghai);
            prop_assert_eq!(china_day(at), shanghai.date_naive());
            prop_assert!(china_midnight(china_day(at)) <= at);
            prop_assert!(at < china_midnight(days_after(china_day(at), 1)));
        }
    }
}
