//! License reminders (SPEC.md 8): the days a reminder goes out before a paid license's
//! expiry date, and the day after it, and which one (if any) is due on a given day.
//!
//! For an expiry date `E` (a China Standard Time day):
//! - **monthly**: the first Monday of a month, on or after the day 3 calendar months
//!   before `E` and before the day 1 calendar month before `E`;
//! - **weekly**: every Monday on or after the day 1 calendar month before `E` and before
//!   `E − 7 days`;
//! - **seven days**: `E − 7 days`, whatever weekday it is;
//! - **expires today**: `E`;
//! - **expired**: `E + 1 day`.
//!
//! "n months before" is the same day of the month n months earlier, or that month's last
//! day where it is shorter (1 month before 31 March is 28 or 29 February). The phases
//! meet end to start, so no day can be two kinds at once: a Monday that is also 7 days
//! before is the seven-days reminder, and the first Monday that falls exactly 1 month
//! before is a weekly one. One reminder a day at most, so none is sent twice for a date.
//!
//! A reminder is due only on its own day: a license bought or converted with less than
//! 7 days left gets what remains of the list (the day, the day after) and nothing late,
//! and a missed run is not caught up with yesterday's reminder, since the next one comes
//! within a week anyway.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

use super::{china_day, days_after, days_before, months_before, sending_time};
use crate::domain::record::Millis;

/// Which reminder a day carries; with the day, it keys what was sent, so a re-run of the
/// job sends nothing twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReminderKind {
    Monthly,
    Weekly,
    SevenDays,
    ExpiresToday,
    Expired,
}

impl ReminderKind {
    /// The name the sent-record key and the mail templates use.
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Monthly => "monthly",
            ReminderKind::Weekly => "weekly",
            ReminderKind::SevenDays => "seven-days",
            ReminderKind::ExpiresToday => "expires-today",
            ReminderKind::Expired => "expired",
        }
    }
}

impl fmt::Display for ReminderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reminder: what it says and the China Standard Time day it goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reminder {
    pub kind: ReminderKind,
    pub day: NaiveDate,
}

impl Reminder {
    /// When it goes out: 08:00 China Standard Time (00:00 UTC) of its day.
    pub fn send_at(&self) -> Millis {
        sending_time(self.day)
    }
}

/// The reminder due on `today` for a license expiring on `expiry`, if any. The daily job
/// passes the China Standard Time day of its `now` (see [`reminder_due_for_license`]).
pub fn reminder_due(expiry: NaiveDate, today: NaiveDate) -> Option<Reminder> {
    let kind = kind_of_day(expiry, today)?;
    Some(Reminder { kind, day: today })
}

/// The reminder due at `now` for a license that ends at `license_expires`: both read as
/// China Standard Time days. It does not look at the plan, because the sweep turns a
/// lapsed license Free on its expiry date and the expired notice still goes out the day
/// after; so the sweep keeps `license_expires` when it lapses a license.
pub fn reminder_due_for_license(license_expires: Millis, now: Millis) -> Option<Reminder> {
    reminder_due(china_day(license_expires), china_day(now))
}

/// Every reminder for a license expiring on `expiry`, in order, one a day at most: what
/// a plan page can show, and what the tests hold [`reminder_due`] to.
pub fn reminders(expiry: NaiveDate) -> Vec<Reminder> {
    let last = days_after(expiry, 1);
    months_before(expiry, 3)
        .iter_days()
        .take_while(|day| *day <= last)
        .filter_map(|day| reminder_due(expiry, day))
        .collect()
}

fn kind_of_day(expiry: NaiveDate, day: NaiveDate) -> Option<ReminderKind> {
    let seven_days_before = days_before(expiry, 7);
    let one_month_before = months_before(expiry, 1);
    let three_months_before = months_before(expiry, 3);
    let monday = day.weekday() == Weekday::Mon;
    if day == expiry {
        Some(ReminderKind::ExpiresToday)
    } else if day == days_after(expiry, 1) {
        Some(ReminderKind::Expired)
    } else if day == seven_days_before {
        Some(ReminderKind::SevenDays)
    } else if monday && one_month_before <= day && day < seven_days_before {
        Some(ReminderKind::Weekly)
    } else if monday && day.day() <= 7 && three_months_before <= day && day < one_month_before {
        Some(ReminderKind::Monthly)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{day, instant};
    use super::*;
    use proptest::prelude::*;
    use ReminderKind::*;

    fn schedule(expiry: &str) -> Vec<(ReminderKind, String)> {
        reminders(day(expiry))
            .into_iter()
            .map(|r| (r.kind, r.day.to_string()))
            .collect()
    }

    fn expect(list: &[(ReminderKind, &str)]) -> Vec<(ReminderKind, String)> {
        list.iter().map(|(k, d)| (*k, d.to_string())).collect()
    }

    #[test]
    fn expiry_mid_month_gets_monthly_weekly_seven_days_day_and_after() {
        // 2027-06-16 is a Wednesday; 3 months before is 2027-03-16, so March's first
        // Monday (the 1st) is too early; 1 month before is 2027-05-16.
        assert_eq!(
            schedule("2027-06-16"),
            expect(&[
                (Monthly, "2027-04-05"),
                (Monthly, "2027-05-03"),
                (Weekly, "2027-05-17"),
                (Weekly, "2027-05-24"),
                (Weekly, "2027-05-31"),
                (Weekly, "2027-06-07"),
                (SevenDays, "2027-06-09"),
                (ExpiresToday, "2027-06-16"),
                (Expired, "2027-06-17"),
            ])
        );
    }

    #[test]
    fn expiry_on_a_monday_sends_seven_days_not_weekly_on_the_monday_before() {
        // 2027-03-15 is a Monday: 2027-03-08 is both a Monday and 7 days before; one
        // reminder, the seven-days one. 1 month before is 2027-02-15, a Monday: weekly.
        assert_eq!(
            schedule("2027-03-15"),
            expect(&[
                (Monthly, "2027-01-04"),
                (Monthly, "2027-02-01"),
                (Weekly, "2027-02-15"),
                (Weekly, "2027-02-22"),
                (Weekly, "2027-03-01"),
                (SevenDays, "2027-03-08"),
                (ExpiresToday, "2027-03-15"),
                (Expired, "2027-03-16"),
            ])
        );
    }

    #[test]
    fn expiry_on_the_first_counts_months_from_the_first() {
        // 2027-06-01: 3 months before is 2027-03-01, a Monday and the first Monday of
        // March: monthly (the start is inclusive). 1 month before is 2027-05-01 (a
        // Saturday), so May's first Monday (the 3rd) is in the weekly phase.
        assert_eq!(
            schedule("2027-06-01"),
            expect(&[
                (Monthly, "2027-03-01"),
                (Monthly, "2027-04-05"),
                (Weekly, "2027-05-03"),
                (Weekly, "2027-05-10"),
                (Weekly, "2027-05-17"),
                (Weekly, "2027-05-24"),
                (SevenDays, "2027-05-25"),
                (ExpiresToday, "2027-06-01"),
                (Expired, "2027-06-02"),
            ])
        );
    }

    #[test]
    fn first_monday_exactly_one_month_before_is_weekly_not_monthly() {
        // 2027-04-05 (a Monday, first of April) is exactly 1 month before 2027-05-05.
        let due = reminder_due(day("2027-05-05"), day("2027-04-05")).unwrap();
        assert_eq!(due.kind, Weekly);
    }

    #[test]
    fn month_ends_clamp_to_the_shorter_month() {
        // 31 May 2027: 3 months before is 28 Feb 2027 (no 31 Feb), 1 month before is
        // 30 April. March's first Monday (1st) is in; 3 May is after 30 April: weekly.
        assert_eq!(
            schedule("2027-05-31"),
            expect(&[
                (Monthly, "2027-03-01"),
                (Monthly, "2027-04-05"),
                (Weekly, "2027-05-03"),
                (Weekly, "2027-05-10"),
                (Weekly, "2027-05-17"),
                (SevenDays, "2027-05-24"),
                (ExpiresToday, "2027-05-31"),
                (Expired, "2027-06-01"),
            ])
        );
        // 31 December: the expired notice falls in the next year.
        let last = *reminders(day("2027-12-31")).last().unwrap();
        assert_eq!((last.kind, last.day), (Expired, day("2028-01-01")));
    }

    #[test]
    fn leap_years_clamp_to_29_february_and_count_it() {
        let cases = [
            // (expiry, day, due)
            // 1 month before 31 March 2028 is 29 Feb 2028 (a Tuesday): from then, weekly.
            ("2028-03-31", "2028-02-28", None),
            ("2028-03-31", "2028-03-06", Some(Weekly)),
            ("2028-03-31", "2028-02-07", Some(Monthly)),
            // 1 month before 29 March 2027 is 28 Feb 2027; 1 March 2027 is a Monday.
            ("2027-03-29", "2027-03-01", Some(Weekly)),
            // An expiry on 29 Feb 2028: 7 days before is 22 Feb, the day after 1 March.
            ("2028-02-29", "2028-02-22", Some(SevenDays)),
            ("2028-02-29", "2028-02-29", Some(ExpiresToday)),
            ("2028-02-29", "2028-03-01", Some(Expired)),
            // 3 months before 29 Feb 2028 is 29 Nov 2027, after November's first Monday
            // (the 1st); December's (the 6th) is the first monthly.
            ("2028-02-29", "2027-11-01", None),
            ("2028-02-29", "2027-12-06", Some(Monthly)),
            // Seven days before 5 March 2028 crosses 29 February.
            ("2028-03-05", "2028-02-27", Some(SevenDays)),
            ("2027-03-05", "2027-02-26", Some(SevenDays)),
        ];
        for (expiry, today, due) in cases {
            assert_eq!(
                reminder_due(day(expiry), day(today)).map(|r| r.kind),
                due,
                "expiry {expiry}, day {today}"
            );
        }
    }

    #[test]
    fn license_with_less_than_seven_days_left_gets_only_what_remains() {
        // Converted on 2027-06-12 to a license ending 2027-06-16 (4 days): no reminder
        // is due until the day itself, and none is sent late.
        let expiry = day("2027-06-16");
        let due: Vec<_> = day("2027-06-12")
            .iter_days()
            .take(7)
            .filter_map(|today| reminder_due(expiry, today))
            .map(|r| (r.kind, r.day.to_string()))
            .collect();
        assert_eq!(
            due,
            expect(&[(ExpiresToday, "2027-06-16"), (Expired, "2027-06-17")])
        );
    }

    #[test]
    fn daily_job_at_midnight_utc_asks_about_the_china_day_of_its_run() {
        // The license ends at 00:00 CST on 2027-06-16 (16:00 UTC on the 15th).
        let expires = instant("2027-06-15T16:00:00Z");
        let due = reminder_due_for_license(expires, instant("2027-06-16T00:00:00Z")).unwrap();
        assert_eq!((due.kind, due.day), (ExpiresToday, day("2027-06-16")));
        assert_eq!(due.send_at(), instant("2027-06-16T00:00:00Z"));
        let due = reminder_due_for_license(expires, instant("2027-06-17T00:00:00Z")).unwrap();
        assert_eq!(due.kind, Expired);
        assert_eq!(
            reminder_due_for_license(expires, instant("2027-06-18T00:00:00Z")),
            None
        );
    }

    #[test]
    fn nothing_is_due_before_three_months_or_after_the_day_after() {
        let expiry = day("2027-06-01");
        assert_eq!(reminder_due(expiry, day("2027-02-01")), None); // first Monday, too early
        assert_eq!(reminder_due(expiry, day("2027-06-07")), None); // a Monday after
    }

    fn any_expiry() -> impl Strategy<Value = NaiveDate> {
        (0i64..365 * 200).prop_map(|offset| days_after(day("1999-01-01"), offset as u64))
    }

    proptest! {
        #[test]
        fn reminders_are_one_a_day_in_order_and_end_the_day_after(expiry in any_expiry()) {
            let list = reminders(expiry);
            for pair in list.windows(2) {
                prop_assert!(pair[0].day < pair[1].day);
                prop_assert!(pair[0].send_at() < pair[1].send_at());
            }
            prop_assert!(list.iter().all(|r| r.day <= days_after(expiry, 1)));
            prop_assert!(list.iter().all(|r| r.day >= months_before(expiry, 3)));
            let tail: Vec<_> = list.iter().rev().take(3).map(|r| (r.kind, r.day)).collect();
            prop_assert_eq!(tail, vec![
                (Expired, days_after(expiry, 1)),
                (ExpiresToday, expiry),
                (SevenDays, days_before(expiry, 7)),
            ]);
        }

        #[test]
        fn each_kind_lands_on_its_weekday_and_phase(expiry in any_expiry()) {
            let list = reminders(expiry);
            let monthly = list.iter().filter(|r| r.kind == Monthly).count();
            let weekly = list.iter().filter(|r| r.kind == Weekly).count();
            prop_assert!((1..=3).contains(&monthly), "{monthly} monthly");
            prop_assert!((3..=4).contains(&weekly), "{weekly} weekly");
            for r in &list {
                match r.kind {
                    Monthly => prop_assert!(r.day.weekday() == Weekday::Mon && r.day.day() <= 7
                        && r.day < months_before(expiry, 1)),
                    Weekly => prop_assert!(r.day.weekday() == Weekday::Mon
                        && r.day >= months_before(expiry, 1)),
                    _ => {}
                }
            }
        }

        #[test]
        fn due_on_a_day_is_exactly_the_listed_reminder(expiry in any_expiry(), back in 0u64..120) {
            let today = days_before(days_after(expiry, 5), back);
            let listed = reminders(expiry).into_iter().find(|r| r.day == today);
            prop_assert_eq!(reminder_due(expiry, today), listed);
        }
    }
}
