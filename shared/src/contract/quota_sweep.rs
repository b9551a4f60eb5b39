//! The contract of [`QuotaSweep`]: every account created is in the list, once, in ID
//! order page by page; a standing, a lapse and a notice are each written under their
//! condition only; a day's progress reads back as saved, each day its own.

use chrono::NaiveDate;

use super::fixtures::{account, account_id};
use crate::domain::notify::{StorageNotice, StorageNoticeKind};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::schedule::StorageStanding;
use crate::ports::{Accounts, QuotaSweep, SweepProgress};

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a contract date")
}

/// Holds `store` to the contract of [`QuotaSweep`], for accounts `{prefix}-swept-a` and
/// `{prefix}-swept-b` (created here) and `{prefix}-never` (which must not exist).
pub async fn quota_sweep(store: &(impl Accounts + QuotaSweep), prefix: &str) {
    let first = account(store, prefix, "swept-a").await;
    let second = account(store, prefix, "swept-b").await;

    // The whole list, a page of one at a time: in ID order, each account once (the
    // table may hold other accounts too).
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = store.account_ids(after.as_ref(), 1).await.unwrap();
        assert!(page.accounts.len() <= 1, "{page:?}");
        listed.extend(page.accounts.iter().cloned());
        after = page.accounts.last().cloned();
        if !page.more {
            break;
        }
    }
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "{listed:?}");
    assert!(
        listed.contains(&first.id) && listed.contains(&second.id),
        "{listed:?}"
    );
    let rest = store.account_ids(Some(&first.id), 10).await.unwrap();
    assert_eq!(
        rest.accounts.first(),
        Some(&second.id),
        "after is exclusive"
    );

    // A standing moves only from the one read.
    let (read, standing) = store.swept_account(&first.id).await.unwrap().unwrap();
    assert_eq!((read, standing), (first.clone(), StorageStanding::Roomy));
    let over = StorageStanding::OverCapacity {
        deadline: day("2027-03-04"),
    };
    assert!(store
        .set_storage_standing(
            &first.id,
            StorageStanding::Roomy,
            StorageStanding::NearlyFull
        )
        .await
        .unwrap());
    assert!(
        !store
            .set_storage_standing(&first.id, StorageStanding::Roomy, over)
            .await
            .unwrap(),
        "the standing moved meanwhile"
    );
    assert!(store
        .set_storage_standing(&first.id, StorageStanding::NearlyFull, over)
        .await
        .unwrap());
    let (_, standing) = store.swept_account(&first.id).await.unwrap().unwrap();
    assert_eq!(standing, over);
    let (_, other) = store.swept_account(&second.id).await.unwrap().unwrap();
    assert_eq!(other, StorageStanding::Roomy, "each account its own");
    let never = account_id(prefix, "never");
    assert!(store.swept_account(&never).await.unwrap().is_none());
    assert!(!store
        .set_storage_standing(&never, StorageStanding::Roomy, over)
        .await
        .unwrap());

    // A lapse only from the plan and expiry read; the expiry stays.
    assert!(
        !store.lapse_plan(&second, Plan::Free).await.unwrap(),
        "no license"
    );
    let expires = Millis(1_801_440_000_000);
    assert!(store
        .change_plan(&second, Plan::Standard, expires, Millis(1_000))
        .await
        .unwrap());
    let licensed = store.account(&second.id).await.unwrap().unwrap();
    assert!(store.lapse_plan(&licensed, Plan::Free).await.unwrap());
    let lapsed = store.account(&second.id).await.unwrap().unwrap();
    assert_eq!(
        (lapsed.plan, lapsed.license_expires),
        (Plan::Free, Some(expires))
    );
    assert!(
        !store.lapse_plan(&licensed, Plan::Free).await.unwrap(),
        "the plan changed since it was read"
    );

    // A notice is claimed once per account, kind and date.
    let notice = StorageNotice {
        kind: StorageNoticeKind::NearlyFull,
        date: day("2027-02-01"),
    };
    assert!(store.claim_notice(&first.id, &notice).await.unwrap());
    assert!(!store.claim_notice(&first.id, &notice).await.unwrap());
    assert!(store.claim_notice(&second.id, &notice).await.unwrap());
    let over_notice = StorageNotice {
        kind: StorageNoticeKind::OverCapacity,
        ..notice
    };
    assert!(store.claim_notice(&first.id, &over_notice).await.unwrap());
    let next_day = StorageNotice {
        date: day("2027-02-02"),
        ..notice
    };
    assert!(store.claim_notice(&first.id, &next_day).await.unwrap());

    let (today, tomorrow) = (day("2027-02-01"), day("2027-02-02"));
    for progress in [
        SweepProgress::NotStarted,
        SweepProgress::After(first.id.clone()),
        SweepProgress::Done,
    ] {
        store.save_sweep_run(today, &progress).await.unwrap();
        assert_eq!(store.sweep_run(today).await.unwrap(), progress);
    }
    assert_eq!(
        store.sweep_run(tomorrow).await.unwrap(),
        SweepProgress::NotStarted
    );
}
