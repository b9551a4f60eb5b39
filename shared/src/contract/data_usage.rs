//! The contract of [`DataUsage`]: bytes per instrument key, summed per account, each
//! stream position counted once.

use super::fixtures::account_id;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{
    KeyPending, Mark, PendingHour, StreamPosition, Tally, MARKS_A_DELIVERY,
};
use crate::ports::{BacklogStep, Counted, DataUsage};

fn tally(bytes: i64, first: &str, last: &str) -> Tally {
    Tally {
        bytes,
        first: StreamPosition::parse(first).unwrap(),
        last: StreamPosition::parse(last).unwrap(),
        stored_hours: Default::default(),
    }
}

fn pending(hour: i64, marked: &str) -> PendingHour {
    PendingHour {
        hour: Millis(hour * Millis::HOUR),
        marked: Mark::Stored(StreamPosition::parse(marked).unwrap()),
    }
}

/// Holds `store` to the contract of [`DataUsage`] on accounts `{prefix}-data` and
/// `{prefix}-data-other`.
pub async fn data_usage(store: &impl DataUsage, prefix: &str) {
    let acme = account_id(prefix, "data");
    let other = account_id(prefix, "data-other");
    let key = |account: &crate::domain::ids::AccountId, rest: &str| {
        InstrumentKey::from_stored(format!("{account}/{rest}"))
    };
    let (logger, meter) = (key(&acme, "gw.r1/L1/i1"), key(&acme, "calc:c1@1"));
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 0);

    let counted = store
        .count_data(&acme, &logger, &tally(300, "100", "120"))
        .await;
    assert_eq!(counted.unwrap(), Counted::Counted(vec![]));
    let counted = store
        .count_data(&acme, &meter, &tally(45, "101", "101"))
        .await;
    assert_eq!(counted.unwrap(), Counted::Counted(vec![]));
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 345);

    // The same delivery again, or one starting inside what was counted: nothing added,
    // and the position counted through told.
    for (first, last) in [("100", "120"), ("120", "130"), ("99", "99")] {
        let again = store
            .count_data(&acme, &logger, &tally(300, first, last))
            .await;
        assert_eq!(
            again.unwrap(),
            Counted::Already(StreamPosition::parse("120").unwrap())
        );
    }
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 345);

    // Past it: counted, a deletion taking bytes off.
    let counted = store
        .count_data(&acme, &logger, &tally(-100, "121", "140"))
        .await;
    assert_eq!(counted.unwrap(), Counted::Counted(vec![]));
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 245);

    // Another account's data is its own, even under a position counted for acme.
    let theirs = key(&other, "gw.r1/L1/i1");
    let counted = store
        .count_data(&other, &theirs, &tally(7, "100", "100"))
        .await;
    assert_eq!(counted.unwrap(), Counted::Counted(vec![]));
    assert_eq!(store.data_bytes(&other).await.unwrap(), 7);
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 245);

    // Hours records were stored in are marked as of the delivery's last position, and
    // again by a later one; the count tells every hour marked.
    let marking = |hours: &[i64], first: &str, last: &str| Tally {
        stored_hours: hours.iter().map(|h| Millis(h * Millis::HOUR)).collect(),
        ..tally(10, first, last)
    };
    let counted = store
        .count_data(&acme, &logger, &marking(&[7, 5], "150", "151"))
        .await;
    assert_eq!(
        counted.unwrap(),
        Counted::Counted(vec![pending(5, "151"), pending(7, "151")])
    );
    let counted = store
        .count_data(&acme, &logger, &marking(&[7], "160", "161"))
        .await;
    assert_eq!(
        counted.unwrap(),
        Counted::Counted(vec![pending(5, "151"), pending(7, "161")])
    );
    assert_eq!(
        store.pending_hours(&acme).await.unwrap(),
        vec![(logger.clone(), vec![pending(5, "151"), pending(7, "161")])],
        "the meter has no hour marked"
    );
    assert_eq!(
        store.key_marks(&acme, &logger).await.unwrap(),
        Some(vec![pending(5, "151"), pending(7, "161")])
    );
    assert_eq!(store.key_marks(&acme, &meter).await.unwrap(), Some(vec![]));
    assert_eq!(store.key_marks(&other, &logger).await.unwrap(), None);
    // A mark read before it was marked again stays; one unchanged comes off, once.
    assert!(!store
        .unmark_hour(&acme, &logger, &pending(7, "151"))
        .await
        .unwrap());
    assert!(store
        .unmark_hour(&acme, &logger, &pending(7, "161"))
        .await
        .unwrap());
    assert!(!store
        .unmark_hour(&acme, &logger, &pending(7, "161"))
        .await
        .unwrap());
    assert!(!store
        .unmark_hour(&other, &logger, &pending(5, "151"))
        .await
        .unwrap());
    assert_eq!(
        store.pending_hours(&acme).await.unwrap(),
        vec![(logger.clone(), vec![pending(5, "151")])]
    );
    // An hour compacted while its day goes on is marked so, only over the mark read;
    // a day's marks come off in one write, only if none of them changed.
    let counted = store
        .count_data(
            &acme,
            &logger,
            &Tally {
                bytes: 0,
                ..marking(&[8, 9], "162", "163")
            },
        )
        .await;
    assert!(matches!(counted.unwrap(), Counted::Counted(_)));
    assert!(!store
        .mark_compacted(&acme, &logger, &pending(8, "151"))
        .await
        .unwrap());
    assert!(store
        .mark_compacted(&acme, &logger, &pending(8, "163"))
        .await
        .unwrap());
    let compacted = PendingHour {
        hour: Millis(8 * Millis::HOUR),
        marked: Mark::Stored(StreamPosition::parse("163").unwrap()).compacted(),
    };
    assert_eq!(
        store.key_marks(&acme, &logger).await.unwrap(),
        Some(vec![
            pending(5, "151"),
            compacted.clone(),
            pending(9, "163")
        ])
    );
    assert!(!store
        .unmark_hours(&acme, &logger, &[compacted.clone(), pending(9, "162")])
        .await
        .unwrap());
    assert!(store
        .unmark_hours(&acme, &logger, &[compacted, pending(9, "163")])
        .await
        .unwrap());
    assert_eq!(
        store.pending_hours(&acme).await.unwrap(),
        vec![(logger.clone(), vec![pending(5, "151")])]
    );
    // A backlog over as many hours as a delivery marks marks every one of them.
    let backlog: Vec<i64> = (1_000..1_000 + MARKS_A_DELIVERY as i64).collect();
    let Counted::Counted(marked) = store
        .count_data(&acme, &meter, &marking(&backlog, "170", "171"))
        .await
        .unwrap()
    else {
        panic!("a new delivery is counted");
    };
    assert_eq!(
        marked,
        backlog
            .iter()
            .map(|h| pending(*h, "171"))
            .collect::<Vec<_>>()
    );
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 245 + 3 * 10);
    assert!(store.pending_hours(&other).await.unwrap().is_empty());
    assert_eq!(
        store.key_pending(&acme, &meter).await.unwrap(),
        KeyPending {
            hours: backlog.iter().map(|h| Millis(h * Millis::HOUR)).collect(),
            backlog_from: None,
            backlog_version: 0,
            rolled_from: backlog.first().map(|h| Millis(h * Millis::HOUR)),
        },
        "rolled up from the oldest hour its first marking delivery marked"
    );

    // Hours past those a delivery marks start the key's backlog, the earliest start
    // kept, even by a delivery counted before; the marks and bytes are as before.
    let longer: Vec<i64> = (2_000..2_000 + MARKS_A_DELIVERY as i64 + 3).collect();
    let hour = |h: i64| Millis(h * Millis::HOUR);
    store
        .count_data(&acme, &meter, &marking(&longer, "180", "181"))
        .await
        .unwrap();
    let past = hour(2_000 + MARKS_A_DELIVERY as i64);
    let pending_of_meter = store.key_pending(&acme, &meter).await.unwrap();
    assert_eq!(pending_of_meter.backlog_from, Some(past));
    assert_eq!(pending_of_meter.hours.len(), 2 * MARKS_A_DELIVERY);
    let later: Vec<i64> = (3_000..3_000 + MARKS_A_DELIVERY as i64 + 1).collect();
    store
        .count_data(&acme, &meter, &marking(&later, "190", "191"))
        .await
        .unwrap();
    assert_eq!(
        store.key_pending(&acme, &meter).await.unwrap().backlog_from,
        Some(past),
        "a later backlog keeps the earlier start"
    );
    let earlier: Vec<i64> = (0..MARKS_A_DELIVERY as i64 + 1).collect();
    let replayed = store
        .count_data(&acme, &meter, &marking(&earlier, "185", "186"))
        .await
        .unwrap();
    assert!(matches!(replayed, Counted::Already(_)), "{replayed:?}");
    assert_eq!(
        store.key_pending(&acme, &meter).await.unwrap().backlog_from,
        Some(hour(MARKS_A_DELIVERY as i64)),
        "a replayed delivery keeps its backlog all the same"
    );
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 245 + 5 * 10);

    // The time a key is rolled up from moves only later, and a key never rolled up
    // (nor one not stored) stays so.
    let rolled_from = |key: InstrumentKey, account: AccountId| {
        let store = &store;
        async move { store.key_pending(&account, &key).await.unwrap().rolled_from }
    };
    let first = Some(Millis(1_000 * Millis::HOUR));
    assert_eq!(rolled_from(meter.clone(), acme.clone()).await, first);
    store
        .keep_rollups_from(&acme, &meter, Millis(Millis::HOUR))
        .await
        .unwrap();
    assert_eq!(rolled_from(meter.clone(), acme.clone()).await, first);
    // A backlog moves only from the start and version read (each delivery that kept a
    // backlog, earlier or not, counted one), and comes off.
    let pending_of_meter = store.key_pending(&acme, &meter).await.unwrap();
    let start = hour(MARKS_A_DELIVERY as i64);
    assert_eq!(pending_of_meter.backlog_from, Some(start));
    assert_eq!(pending_of_meter.backlog_version, 3);
    for stale in [(hour(7), 3), (start, 2)] {
        assert!(!store
            .advance_backlog(&acme, &meter, stale, BacklogStep::MoveTo(hour(9)))
            .await
            .unwrap());
    }
    assert!(store
        .advance_backlog(&acme, &meter, (start, 3), BacklogStep::MoveTo(hour(4_000)))
        .await
        .unwrap());
    assert_eq!(
        store.key_pending(&acme, &meter).await.unwrap().backlog_from,
        Some(hour(4_000))
    );
    assert!(store
        .pending_hours(&acme)
        .await
        .unwrap()
        .iter()
        .any(|(key, _)| *key == meter));
    // Taken off, its open hours are marked as before any delivery, a marked one kept.
    let marked_before = store.key_pending(&acme, &meter).await.unwrap().hours;
    let kept = marked_before[0];
    let take_off = BacklogStep::TakeOff {
        open_hours: vec![kept, hour(4_000), hour(4_001)],
    };
    assert!(store
        .advance_backlog(&acme, &meter, (hour(4_000), 3), take_off)
        .await
        .unwrap());
    let pending_of_meter = store.key_pending(&acme, &meter).await.unwrap();
    assert_eq!(pending_of_meter.backlog_from, None);
    assert_eq!(pending_of_meter.hours.len(), marked_before.len() + 2);
    let marks = store.pending_hours(&acme).await.unwrap();
    let (_, meter_marks) = marks.iter().find(|(key, _)| *key == meter).unwrap();
    let mark_of = |h: Millis| {
        meter_marks
            .iter()
            .find(|p| p.hour == h)
            .unwrap()
            .marked
            .clone()
    };
    assert_eq!(
        mark_of(hour(4_001)),
        Mark::Stored(StreamPosition::before_any())
    );
    assert_ne!(mark_of(kept), Mark::Stored(StreamPosition::before_any()));
    assert!(!store
        .advance_backlog(
            &other,
            &meter,
            (hour(4_000), 3),
            BacklogStep::TakeOff { open_hours: vec![] }
        )
        .await
        .unwrap());
    store
        .keep_rollups_from(&acme, &meter, hour(5_000))
        .await
        .unwrap();
    assert_eq!(
        rolled_from(meter.clone(), acme.clone()).await,
        Some(hour(5_000))
    );
    store
        .keep_rollups_from(&other, &theirs, hour(5_000))
        .await
        .unwrap();
    assert_eq!(rolled_from(theirs.clone(), other.clone()).await, None);
    store
        .keep_rollups_from(&other, &meter, hour(5_000))
        .await
        .unwrap();
    assert_eq!(
        store.key_pending(&other, &meter).await.unwrap(),
        KeyPending::default(),
        "no item made"
    );
    assert_eq!(
        store.key_pending(&other, &meter).await.unwrap(),
        KeyPending::default(),
        "another account's key is not found"
    );

    // Where each account's data is: its own keys only.
    assert_eq!(store.data_keys(&other).await.unwrap(), vec![theirs]);
    let mut keys = store.data_keys(&acme).await.unwrap();
    keys.sort();
    assert_eq!(
        keys,
        vec![meter, logger],
        "in key order: calc:… before gw.…"
    );
}
