//! Plan changes (SPEC.md 8): at most one a calendar month, and a paid license's remaining
//! days convert between Standard and Pro (Standard days = Pro days × 5), at most 13
//! months of them kept.
//!
//! - **Once a calendar month**, on the China Standard Time calendar like every schedule
//!   rule (not the account's zone, which its admin can change): a change on 31 March at
//!   23:00 CST allows the next from 1 April 00:00 CST, and one on 1 March allows none
//!   until 1 April.
//! - **Remaining days** are the whole days from today to the expiry date, today counted
//!   and the expiry date not (the license is Free from that date): a license expiring
//!   tomorrow has 1 day left. Pro → Standard multiplies by 5; Standard → Pro divides by 5
//!   and rounds to the nearest day (a fifth of a whole number is never exactly half-way,
//!   so the rounding has no tie to break). A change that would convert to no whole day
//!   is refused: it would make a plan that ended before it began (1 or 2 Standard days
//!   left are no Pro day).
//! - **13 months** are calendar months from today: the new expiry date is at most the
//!   same day of the month 13 months on (that month's last day where it is shorter), so
//!   393 to 397 days; days beyond it are dropped, and the change says how many.
//! - Other changes (to or from Free or Trial) are not conversions: buying or ending a
//!   license is the route's business.

use chrono::NaiveDate;

use super::{china_day, china_midnight, days_after, first_of_next_month, months_after};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;

/// Standard days bought by one Pro day.
pub const STANDARD_DAYS_PER_PRO_DAY: u32 = 5;

/// The most calendar months of license a conversion leaves.
pub const MAX_REMAINING_MONTHS: u32 = 13;

/// Why a plan change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanChangeError {
    #[error(
        "the plan was last changed on {last_change} and changes at most once a calendar \
         month (China Standard Time); the next change is possible from {next_allowed}"
    )]
    TooSoon {
        last_change: NaiveDate,
        next_allowed: NaiveDate,
    },
    #[error("the plan is {0} already")]
    SamePlan(Plan),
    #[error(
        "remaining license days convert only between standard and pro, not from {from} \
         to {to}"
    )]
    NotConvertible { from: Plan, to: Plan },
    #[error("the {plan} plan has no license expiry date to convert")]
    NoLicense { plan: Plan },
    #[error(
        "the {plan} license ends on {expires_on}; no whole day is left to convert, so \
         renew it instead"
    )]
    NothingToConvert { plan: Plan, expires_on: NaiveDate },
    #[error(
        "the {days_left} days left of the {from} license make no whole {to} day; renew it \
         instead"
    )]
    ConvertsToNothing {
        from: Plan,
        to: Plan,
        days_left: u32,
    },
}

/// A plan change the route can write: the new plan and its license's end, and how the
/// days converted (for the confirmation and the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanChange {
    pub from: Plan,
    pub to: Plan,
    /// Whole days left on the old plan's license.
    pub days_left: u32,
    /// Days on the new plan, before the 13-month cap.
    pub days_converted: u32,
    /// Days over the 13-month cap, not kept.
    pub days_dropped: u32,
    /// The new license's expiry date (China Standard Time).
    pub expires_on: NaiveDate,
}

impl PlanChange {
    /// The new `license_expires`: as its expiry date begins in China, so the sweep of
    /// that day (08:00 CST) finds it lapsed, as [`lapse`](super::lapse) expects.
    pub fn license_expires(&self) -> Millis {
        china_midnight(self.expires_on)
    }
}

/// The first China Standard Time day a plan changed at `last_change` may change again.
pub fn next_change_allowed(last_change: Millis) -> NaiveDate {
    first_of_next_month(china_day(last_change))
}

/// `days` of a `from` license in days of a `to` license.
pub fn convert_days(from: Plan, to: Plan, days: u32) -> Result<u32, PlanChangeError> {
    check_convertible(from, to)?;
    Ok(if to == Plan::Standard {
        days.saturating_mul(STANDARD_DAYS_PER_PRO_DAY)
    } else {
        days.saturating_add(STANDARD_DAYS_PER_PRO_DAY / 2) / STANDARD_DAYS_PER_PRO_DAY
    })
}

/// Refuses a change that is no conversion between Standard and Pro.
fn check_convertible(from: Plan, to: Plan) -> Result<(), PlanChangeError> {
    match (from, to) {
        _ if from == to => Err(PlanChangeError::SamePlan(from)),
        (Plan::Pro, Plan::Standard) | (Plan::Standard, Plan::Pro) => Ok(()),
        _ => Err(PlanChangeError::NotConvertible { from, to }),
    }
}

/// Changes `account`'s plan to `to` at `now`, its last change having been at
/// `last_change` (none if never): the license's remaining days converted and capped, or
/// why not. It writes nothing; the route writes the result under a condition on the
/// last change it read, so two changes racing cannot both pass.
pub fn change_plan(
    account: &Account,
    to: Plan,
    last_change: Option<Millis>,
    now: Millis,
) -> Result<PlanChange, PlanChangeError> {
    let from = account.plan_at(now);
    check_convertible(from, to)?;
    let today = china_day(now);
    if let Some(last) = last_change {
        let next_allowed = next_change_allowed(last);
        if today < next_allowed {
            return Err(PlanChangeError::TooSoon {
                last_change: china_day(last),
                next_allowed,
            });
        }
    }
    let expires = account
        .license_expires
        .ok_or(PlanChangeError::NoLicense { plan: from })?;
    let expires_on = china_day(expires);
    let days_left = u32::try_from((expires_on - today).num_days())
        .ok()
        .filter(|days| *days > 0)
        .ok_or(PlanChangeError::NothingToConvert {
            plan: from,
            expires_on,
        })?;
    let days_converted = convert_days(from, to, days_left)?;
    if days_converted == 0 {
        return Err(PlanChangeError::ConvertsToNothing {
            from,
            to,
            days_left,
        });
    }
    let cap = u32::try_from((months_after(today, MAX_REMAINING_MONTHS) - today).num_days())
        .unwrap_or(u32::MAX);
    let days_kept = days_converted.min(cap);
    Ok(PlanChange {
        from,
        to,
        days_left,
        days_converted,
        days_dropped: days_converted - days_kept,
        expires_on: days_after(today, u64::from(days_kept)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{day, instant};
    use super::*;
    use crate::domain::ids::AccountId;
    use proptest::prelude::*;

    fn account(plan: Plan, expires_on: &str) -> Account {
        let mut account = Account::new(
            AccountId::parse("acme-1").unwrap(),
            "Acme".into(),
            plan,
            instant("2026-01-01T00:00:00Z"),
        );
        account.license_expires = Some(china_midnight(day(expires_on)));
        account
    }

    #[test]
    fn second_change_in_a_calendar_month_is_refused_naming_both_dates() {
        let pro = account(Plan::Pro, "2027-12-01");
        let last = instant("2027-03-05T02:00:00Z"); // 10:00 CST, 5 March
        let error = change_plan(
            &pro,
            Plan::Standard,
            Some(last),
            instant("2027-03-31T15:59:00Z"),
        )
        .unwrap_err();
        assert_eq!(
            error,
            PlanChangeError::TooSoon {
                last_change: day("2027-03-05"),
                next_allowed: day("2027-04-01"),
            }
        );
        assert_eq!(
            error.to_string(),
            "the plan was last changed on 2027-03-05 and changes at most once a calendar \
             month (China Standard Time); the next change is possible from 2027-04-01"
        );
    }

    #[test]
    fn calendar_month_is_the_china_one() {
        let pro = account(Plan::Pro, "2029-12-01");
        let cases = [
            // (last change, now, allowed?)
            ("2027-03-31T15:00:00Z", "2027-03-31T15:59:59Z", false), // 23:59 CST, 31 March
            ("2027-03-31T15:00:00Z", "2027-03-31T16:00:00Z", true),  // 00:00 CST, 1 April
            ("2027-03-01T00:00:00Z", "2027-03-31T00:00:00Z", false),
            ("2027-02-28T16:00:00Z", "2027-03-31T00:00:00Z", false), // 1 March CST
            ("2027-02-28T15:59:59Z", "2027-03-01T00:00:00Z", true),  // 28 Feb CST
            ("2027-12-15T00:00:00Z", "2028-01-01T00:00:00Z", true),
            ("2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z", true),
        ];
        for (last, now, allowed) in cases {
            let result = change_plan(&pro, Plan::Standard, Some(instant(last)), instant(now));
            assert_eq!(
                result.is_ok(),
                allowed,
                "last {last}, now {now}: {result:?}"
            );
        }
        assert!(change_plan(&pro, Plan::Standard, None, instant("2027-03-01T00:00:00Z")).is_ok());
    }

    #[test]
    fn conversion_rounds_standard_to_pro_to_the_nearest_day() {
        let cases = [
            // (from, to, days, converted)
            (Plan::Pro, Plan::Standard, 1, 5),
            (Plan::Pro, Plan::Standard, 30, 150),
            (Plan::Standard, Plan::Pro, 2, 0), // 0.4
            (Plan::Standard, Plan::Pro, 3, 1), // 0.6
            (Plan::Standard, Plan::Pro, 5, 1),
            (Plan::Standard, Plan::Pro, 7, 1),  // 1.4
            (Plan::Standard, Plan::Pro, 8, 2),  // 1.6
            (Plan::Standard, Plan::Pro, 31, 6), // 6.2
            (Plan::Standard, Plan::Pro, 33, 7), // 6.6
            (Plan::Standard, Plan::Pro, 365, 73),
        ];
        for (from, to, days, converted) in cases {
            assert_eq!(
                convert_days(from, to, days),
                Ok(converted),
                "{days} {from} days"
            );
        }
        assert_eq!(
            convert_days(Plan::Pro, Plan::Standard, u32::MAX),
            Ok(u32::MAX)
        );
    }

    #[test]
    fn changes_other_than_standard_and_pro_are_no_conversion() {
        assert_eq!(
            convert_days(Plan::Pro, Plan::Pro, 10),
            Err(PlanChangeError::SamePlan(Plan::Pro))
        );
        let error = convert_days(Plan::Free, Plan::Pro, 10).unwrap_err();
        assert_eq!(
            error.to_string(),
            "remaining license days convert only between standard and pro, not from free to pro"
        );
        // A lapsed license is Free already, whatever the stored plan says.
        let lapsed = account(Plan::Pro, "2027-03-01");
        assert_eq!(
            change_plan(
                &lapsed,
                Plan::Standard,
                None,
                instant("2027-03-02T00:00:00Z")
            ),
            Err(PlanChangeError::NotConvertible {
                from: Plan::Free,
                to: Plan::Standard
            })
        );
    }

    #[test]
    fn pro_to_standard_keeps_at_most_13_calendar_months() {
        let now = instant("2027-01-31T00:00:00Z");
        let cases = [
            // (pro expiry, days left, converted, dropped, new expiry)
            // 30 Pro days are 150 Standard days: under the cap.
            ("2027-03-02", 30, 150, 0, "2027-06-30"),
            // 13 months after 31 Jan 2027 is 29 Feb 2028 (clamped): 394 days.
            ("2027-04-20", 79, 395, 1, "2028-02-29"),
            ("2027-04-19", 78, 390, 0, "2028-02-25"),
            ("2028-01-31", 365, 1825, 1431, "2028-02-29"),
        ];
        for (expires_on, left, converted, dropped, new_expiry) in cases {
            let change =
                change_plan(&account(Plan::Pro, expires_on), Plan::Standard, None, now).unwrap();
            assert_eq!(
                (change.days_left, change.days_converted, change.days_dropped),
                (left, converted, dropped),
                "pro until {expires_on}"
            );
            assert_eq!(change.expires_on, day(new_expiry), "pro until {expires_on}");
        }
    }

    #[test]
    fn standard_to_pro_sets_the_new_expiry_at_china_midnight() {
        // 12 March to 30 April: 49 days left, 9.8 rounds to 10 Pro days.
        let standard = account(Plan::Standard, "2027-04-30");
        let change =
            change_plan(&standard, Plan::Pro, None, instant("2027-03-12T00:00:00Z")).unwrap();
        assert_eq!((change.days_left, change.days_converted), (49, 10));
        assert_eq!(change.expires_on, day("2027-03-22"));
        assert_eq!(change.license_expires(), instant("2027-03-21T16:00:00Z"));
    }

    #[test]
    fn a_license_on_its_last_day_has_nothing_to_convert() {
        // Expires at 10:00 CST on 1 March; at 08:00 CST it is still Standard.
        let mut standard = account(Plan::Standard, "2027-03-01");
        standard.license_expires = Some(instant("2027-03-01T02:00:00Z"));
        let error =
            change_plan(&standard, Plan::Pro, None, instant("2027-03-01T00:00:00Z")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the standard license ends on 2027-03-01; no whole day is left to convert, so \
             renew it instead"
        );
        // Two Standard days are no Pro day: refused, not a Pro license already ended.
        let two_days = account(Plan::Standard, "2027-03-03");
        assert_eq!(
            change_plan(&two_days, Plan::Pro, None, instant("2027-03-01T00:00:00Z")),
            Err(PlanChangeError::ConvertsToNothing {
                from: Plan::Standard,
                to: Plan::Pro,
                days_left: 2
            })
        );
        let mut unlicensed = account(Plan::Standard, "2027-03-01");
        unlicensed.license_expires = None;
        assert_eq!(
            change_plan(
                &unlicensed,
                Plan::Pro,
                None,
                instant("2027-03-01T00:00:00Z")
            ),
            Err(PlanChangeError::NoLicense {
                plan: Plan::Standard
            })
        );
    }

    proptest! {
        #[test]
        fn pro_days_survive_a_round_trip(days in 0u32..100_000) {
            let standard = convert_days(Plan::Pro, Plan::Standard, days).unwrap();
            prop_assert_eq!(convert_days(Plan::Standard, Plan::Pro, standard), Ok(days));
        }

        #[test]
        fn standard_to_pro_is_within_half_a_day(days in 0u32..100_000) {
            let pro = convert_days(Plan::Standard, Plan::Pro, days).unwrap();
            prop_assert!((i64::from(pro) * 5 - i64::from(days)).abs() <= 2);
        }

        #[test]
        fn a_change_never_leaves_more_than_13_months(
            today in 0u64..365 * 100,
            left in 1u64..2_000,
            to_standard: bool,
        ) {
            let today = days_after(day("2000-01-01"), today);
            let (from, to) = if to_standard {
                (Plan::Pro, Plan::Standard)
            } else {
                (Plan::Standard, Plan::Pro)
            };
            let mut account = account(from, "2000-01-01");
            account.license_expires = Some(china_midnight(days_after(today, left)));
            let change = match change_plan(&account, to, None, china_midnight(today)) {
                Ok(change) => change,
                Err(error) => {
                    // Standard days below 2.5 are no Pro day.
                    prop_assert!(!to_standard && left < 3, "{error}");
                    return Ok(());
                }
            };
            let cap = months_after(today, MAX_REMAINING_MONTHS);
            prop_assert!((393..=397).contains(&(cap - today).num_days()));
            prop_assert!(change.expires_on <= cap);
            prop_assert!(change.expires_on >= today);
            prop_assert_eq!(u64::from(change.days_left), left);
            prop_assert_eq!(
                (change.expires_on - today).num_days(),
                i64::from(change.days_converted - change.days_dropped)
            );
        }
    }
}
