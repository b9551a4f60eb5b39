//! A lapsed license (SPEC.md 8): a Standard or Pro license not renewed becomes Free on
//! its expiry date, and from then the storage rule applies to Free's 5 GB.
//!
//! The lapse happens at the instant `license_expires`, the same one from which
//! [`Account::plan_at`] already answers Free (so ingest and the sweep never disagree).
//! The sweep rewrites the account's plan to Free, but keeps `license_expires`: the
//! expired notice of the day after is computed from it.

use chrono::NaiveDate;

use super::china_day;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;

/// A license that has lapsed: the plan it was, and the China Standard Time day it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lapse {
    pub from: Plan,
    pub expired_on: NaiveDate,
}

impl Lapse {
    /// The plan the account continues on.
    pub const TO: Plan = Plan::Free;

    /// The capacity the storage sweep holds the lapsed account to.
    pub fn capacity_bytes(&self) -> u64 {
        Self::TO.limits().storage_bytes
    }
}

/// Whether `account`'s paid license has lapsed at `now` and the sweep is to turn it Free.
/// `None` for an account that is not (or no longer) on a paid plan, or whose license runs.
pub fn lapse(account: &Account, now: Millis) -> Option<Lapse> {
    let expires = account.license_expires?;
    (account.plan_at(now) != account.plan).then(|| Lapse {
        from: account.plan,
        expired_on: china_day(expires),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{day, instant};
    use super::super::{sweep_storage, StorageAction, StorageStanding};
    use super::*;
    use crate::domain::ids::AccountId;

    fn account(plan: Plan, license_expires: Option<&str>) -> Account {
        let mut account = Account::new(
            AccountId::parse("acme-1").unwrap(),
            "Acme".into(),
            plan,
            instant("2026-01-01T00:00:00Z"),
        );
        account.license_expires = license_expires.map(instant);
        account
    }

    #[test]
    fn paid_license_becomes_free_on_its_expiry_date() {
        // Ends as 16 June 2027 begins in China (16:00 UTC on the 15th).
        let expires = "2027-06-15T16:00:00Z";
        let cases = [
            // (plan, now, lapsed?)
            (Plan::Standard, "2027-06-15T15:59:59.999Z", false),
            (Plan::Standard, "2027-06-15T16:00:00Z", true),
            (Plan::Pro, "2027-06-16T00:00:00Z", true), // the sweep of the expiry date
            (Plan::Pro, "2027-06-14T00:00:00Z", false),
            (Plan::Free, "2027-06-16T00:00:00Z", false), // lapsed already
        ];
        for (plan, now, lapsed) in cases {
            let found = lapse(&account(plan, Some(expires)), instant(now));
            assert_eq!(
                found,
                lapsed.then_some(Lapse {
                    from: plan,
                    expired_on: day("2027-06-16")
                }),
                "{plan} at {now}"
            );
        }
    }

    #[test]
    fn accounts_without_a_license_never_lapse() {
        let now = instant("2030-01-01T00:00:00Z");
        for plan in Plan::ALL {
            assert_eq!(lapse(&account(plan, None), now), None, "{plan}");
        }
        let trial = account(Plan::Trial, Some("2027-01-01T00:00:00Z"));
        assert_eq!(lapse(&trial, now), None);
    }

    #[test]
    fn lapsed_account_over_five_gigabytes_gets_the_over_capacity_notice() {
        let pro = account(Plan::Pro, Some("2027-06-15T16:00:00Z"));
        let now = instant("2027-06-16T00:00:00Z");
        let lapsed = lapse(&pro, now).expect("lapsed on its expiry date");
        let sweep = sweep_storage(
            StorageStanding::Roomy,
            6_000_000_000,
            lapsed.capacity_bytes(),
            china_day(now),
        );
        assert_eq!(
            sweep.action,
            Some(StorageAction::NotifyOverCapacity {
                deadline: day("2027-07-17")
            })
        );
    }
}
