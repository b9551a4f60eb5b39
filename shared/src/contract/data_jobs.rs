//! The contract of [`DataJobs`]: a job kept per account and group, changed as it goes
//! until it has ended, and then never again.

use super::fixtures::{account, created_group};
use crate::domain::data_job::{DataJob, ExportSpec, JobOutcome, JobSpec, JobState};
use crate::domain::ids::JobId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::settings::TimeZone;
use crate::ports::{Accounts, DataJobs, GroupKey, Groups};

fn key(group: &Group) -> GroupKey<'_> {
    GroupKey {
        account: &group.account,
        group: &group.id,
    }
}

/// Holds `store` to the contract of [`DataJobs`] on accounts `{prefix}-jobs` and
/// `{prefix}-jobs-other`.
pub async fn data_jobs(store: &(impl Accounts + Groups + DataJobs), prefix: &str) {
    let acme = account(store, prefix, "jobs").await;
    let other = account(store, prefix, "jobs-other").await;
    let plant = created_group(store, &acme.id, "plant").await;
    let lab = created_group(store, &acme.id, "lab").await;
    let theirs = created_group(store, &other.id, "plant").await;
    let queued = DataJob {
        id: JobId::from_random(7 << 32),
        account: acme.id.clone(),
        group: plant.id.clone(),
        requested_by: "owner".into(),
        requested: Millis(1_700_000_000_000),
        spec: JobSpec::Export(ExportSpec {
            channels: vec![],
            from: Millis(1_600_000_000_000),
            to: Millis(1_700_000_000_000),
            time_zone: TimeZone::parse("Asia/Tokyo").unwrap(),
        }),
        state: JobState::Queued,
        updated: Millis(1_700_000_000_000),
    };
    assert!(store.save_job(&queued).await.unwrap());
    assert_eq!(
        store.job(key(&plant), &queued.id).await.unwrap(),
        Some(queued.clone())
    );
    assert_eq!(store.job(key(&lab), &queued.id).await.unwrap(), None);
    assert_eq!(store.job(key(&theirs), &queued.id).await.unwrap(), None);

    // Changed as it goes, then ended for good.
    let running = DataJob {
        state: JobState::Running {
            rows: 10,
            percent: 50,
        },
        updated: Millis(1_700_000_001_000),
        ..queued.clone()
    };
    assert!(store.save_job(&running).await.unwrap());
    let done = DataJob {
        state: JobState::Done(JobOutcome {
            rows: 20,
            files: vec!["gw-a_LR-1.csv".into()],
            bytes: Some(1_234),
            stored: None,
            skipped: None,
            skipped_lines: vec![],
        }),
        ..running.clone()
    };
    assert!(store.save_job(&done).await.unwrap());
    assert!(
        !store.save_job(&running).await.unwrap(),
        "an ended job stays ended"
    );
    let failed = DataJob {
        state: JobState::Failed {
            reason: "late".into(),
        },
        ..queued.clone()
    };
    assert!(!store.save_job(&failed).await.unwrap());
    assert_eq!(
        store.job(key(&plant), &queued.id).await.unwrap(),
        Some(done.clone())
    );

    // The account's jobs, of all its groups; none of another account's.
    let in_lab = DataJob {
        id: JobId::from_random(8 << 32),
        group: lab.id.clone(),
        ..queued.clone()
    };
    assert!(store.save_job(&in_lab).await.unwrap());
    let mut jobs = store.account_jobs(&acme.id).await.unwrap();
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(jobs, vec![done, in_lab]);
    assert!(store.account_jobs(&other.id).await.unwrap().is_empty());
}
