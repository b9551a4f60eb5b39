//! Which licenses the daily reminder job has to look at: those whose expiry date can
//! carry a reminder today. The job reads only these from the list of licenses by expiry,
//! so a day costs reads for the licenses near their end, not for every account.

use std::ops::Range;

use chrono::NaiveDate;

use super::{china_midnight, days_after, days_before, months_after};
use crate::domain::record::Millis;

/// The first and last expiry dates for which a reminder can be due on `today`: the
/// expired notice of yesterday's expiry, up to the first monthly reminder about 3 months
/// ahead. "3 months before" clamps to a shorter month's last day (3 months before 31 May
/// is 28 February), so the window reaches up to 3 days past the same day 3 months on.
/// It may hold dates with no reminder today; [`super::reminder_due`] decides, this only
/// never leaves one out (a property test holds it to that).
pub fn expiries_reminded_on(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (days_before(today, 1), days_after(months_after(today, 3), 3))
}

/// The license expiry instants to read on the China Standard Time day `today`: every
/// instant of [`expiries_reminded_on`]'s days, end exclusive.
pub fn license_expiries_reminded_on(today: NaiveDate) -> Range<Millis> {
    let (first, last) = expiries_reminded_on(today);
    china_midnight(first)..china_midnight(days_after(last, 1))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{day, instant};
    use super::super::{china_day, reminder_due, reminder_due_for_license};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn window_runs_from_yesterday_to_three_months_and_three_days_ahead() {
        assert_eq!(
            expiries_reminded_on(day("2027-02-28")),
            (day("2027-02-27"), day("2027-05-31"))
        );
        // 31 May: 3 months before is 28 February, a day of the window that starts then.
        assert!(reminder_due(day("2027-05-31"), day("2027-03-01")).is_some());
        assert_eq!(
            license_expiries_reminded_on(day("2027-02-01")),
            instant("2027-01-30T16:00:00Z")..instant("2027-05-04T16:00:00Z")
        );
    }

    proptest! {
        #[test]
        fn every_license_with_a_reminder_due_is_in_the_window(
            expiry_offset in 0u64..365 * 60,
            back in 0u64..130,
            minute_of_day in 0i64..24 * 60,
        ) {
            let expiry = days_after(day("2000-01-01"), expiry_offset);
            let today = days_before(days_after(expiry, 2), back);
            let expires = china_midnight(expiry).plus(minute_of_day * Millis::MINUTE);
            let now = china_midnight(today).plus(8 * 60 * Millis::MINUTE);
            prop_assert_eq!(china_day(now), today);
            if reminder_due_for_license(expires, now).is_some() {
                let window = license_expiries_reminded_on(today);
                prop_assert!(window.contains(&expires), "{expiry} not read on {today}");
            }
        }
    }
}
