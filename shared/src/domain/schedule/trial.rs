//! A Trial's end (SPEC.md 8): 93 days after creation its login stops and its data and
//! files are deleted.
//!
//! The end is an instant, `created + 93 × 24 h`, the same one login and ingest already
//! refuse from ([`Account::trial_over`](crate::domain::registry::Account::trial_over)),
//! so the sweep never deletes the data of a Trial that can still log in. On day 92
//! (`created + 92 days`) it runs; at `created + 93 days` exactly it has ended; on day 94
//! it is still ended, so a sweep that missed a day, or is resuming a deletion done in
//! batches, still deletes. A daily sweep at 00:00 UTC finds a Trial created at 10:00 UTC
//! running on its 93rd day's sweep and deletes on the next: within a day of the end.

use crate::domain::record::Millis;
use crate::domain::registry::TRIAL_DAYS;

/// Where a Trial stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialStanding {
    /// Usable until `ends`.
    Running { ends: Millis },
    /// Ended at `ended`: its login is refused and its data and files are to be deleted.
    Ended { ended: Millis },
}

/// Where a Trial created at `created` stands at `now`.
pub fn trial_standing(created: Millis, now: Millis) -> TrialStanding {
    let ends = created.plus(TRIAL_DAYS * Millis::DAY);
    if now < ends {
        TrialStanding::Running { ends }
    } else {
        TrialStanding::Ended { ended: ends }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::instant;
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::plan::Plan;
    use crate::domain::registry::Account;

    #[test]
    fn trial_runs_on_day_92_and_ends_at_day_93_exactly() {
        let created = instant("2027-01-01T10:00:00Z");
        let ends = instant("2027-04-04T10:00:00Z"); // 93 days on
        let cases = [
            (92 * Millis::DAY, TrialStanding::Running { ends }),
            (93 * Millis::DAY - 1, TrialStanding::Running { ends }),
            (93 * Millis::DAY, TrialStanding::Ended { ended: ends }),
            (94 * Millis::DAY, TrialStanding::Ended { ended: ends }),
        ];
        for (after, expected) in cases {
            assert_eq!(
                trial_standing(created, created.plus(after)),
                expected,
                "{after} ms after creation"
            );
        }
    }

    #[test]
    fn daily_sweep_deletes_the_morning_after_the_end() {
        let created = instant("2027-01-01T10:00:00Z");
        let sweep_on_day_93 = instant("2027-04-04T00:00:00Z");
        let sweep_on_day_94 = instant("2027-04-05T00:00:00Z");
        assert!(matches!(
            trial_standing(created, sweep_on_day_93),
            TrialStanding::Running { .. }
        ));
        assert!(matches!(
            trial_standing(created, sweep_on_day_94),
            TrialStanding::Ended { .. }
        ));
    }

    #[test]
    fn trial_ends_when_its_login_stops() {
        let created = instant("2028-01-15T23:59:59Z");
        let account = Account::new(
            AccountId::parse("trial-1").unwrap(),
            "Trial".into(),
            Plan::Trial,
            created,
        );
        for after in [0, 92 * Millis::DAY, 93 * Millis::DAY - 1, 93 * Millis::DAY] {
            let now = created.plus(after);
            let ended = matches!(trial_standing(created, now), TrialStanding::Ended { .. });
            assert_eq!(ended, account.trial_over(now), "{after} ms after creation");
        }
    }
}
