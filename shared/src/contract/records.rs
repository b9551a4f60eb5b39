//! The contract of [`RecordStore`].

use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{RecordStore, StoredRecord};

fn record(instrument: &InstrumentKey, t: i64, value: u8) -> StoredRecord {
    StoredRecord {
        instrument: instrument.clone(),
        t: Millis(t),
        values: vec![1, value],
    }
}

fn times(records: &[StoredRecord]) -> Vec<i64> {
    records.iter().map(|r| r.t.0).collect()
}

/// Holds `store` to the contract, on instrument keys that start with `prefix`: runs with
/// distinct prefixes can share one table. Callers keep to the port's preconditions: a
/// `limit` of at least one, keys without repeats (DynamoDB refuses both); `get_many`'s
/// order is not part of the contract (BatchGetItem's is none).
pub async fn record_store(store: &impl RecordStore, prefix: &str) {
    let here = InstrumentKey::from_stored(format!("{prefix}/contract/a"));
    let other = InstrumentKey::from_stored(format!("{prefix}/contract/b"));

    // The first write of an instant stays; a redelivery stores nothing, even with other
    // values; put says which records were new, in the order given.
    let first: Vec<_> = [30, 10, 20].iter().map(|t| record(&here, *t, 1)).collect();
    let put = store.put(&first).await.unwrap();
    assert_eq!(put.0, vec![true; 3], "three new records");
    assert_eq!(put.count(), 3);
    let again = [record(&here, 20, 9), record(&here, 40, 9)];
    let put = store.put(&again).await.unwrap();
    assert_eq!(put.0, vec![false, true], "only t=40 is new");
    assert_eq!(put.count(), 1);
    store.put(&[record(&other, 25, 7)]).await.unwrap();

    let got = store
        .get_many(&[(here.clone(), Millis(20)), (here.clone(), Millis(21))])
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![record(&here, 20, 1)],
        "the first write, no record at 21"
    );

    // Ranges are [from, to), oldest first, at most `limit`, one instrument only.
    let range = store
        .range(&here, Millis(10), Millis(40), 10)
        .await
        .unwrap();
    assert_eq!(times(&range), vec![10, 20, 30]);
    let limited = store.range(&here, Millis(0), Millis(100), 2).await.unwrap();
    assert_eq!(times(&limited), vec![10, 20]);
    assert!(store
        .range(&here, Millis(40), Millis(40), 10)
        .await
        .unwrap()
        .is_empty());

    // The newest, newest first, one instrument only.
    let newest = store.newest(&here, 3).await.unwrap();
    assert_eq!(times(&newest), vec![40, 30, 20]);
    assert_eq!(newest[0], record(&here, 40, 9));
    assert_eq!(times(&store.newest(&other, 10).await.unwrap()), vec![25]);
    let nobody = InstrumentKey::from_stored(format!("{prefix}/contract/none"));
    assert!(store.newest(&nobody, 5).await.unwrap().is_empty());

    // Keeping raw takes records of [from, to) of one instrument off expiry, each once
    // and at most `limit` a call: a second call keeps only what is left or came since;
    // what is kept reads as before.
    let keep = |key: &InstrumentKey, from: i64, to: i64, limit: usize| {
        let key = key.clone();
        async move {
            store
                .keep_raw(&key, Millis(from), Millis(to), limit)
                .await
                .unwrap()
        }
    };
    assert_eq!(keep(&here, 15, 40, 1).await, 1);
    assert_eq!(keep(&here, 15, 40, 10).await, 1);
    assert_eq!(keep(&here, 15, 40, 10).await, 0);
    store.put(&[record(&here, 35, 3)]).await.unwrap();
    assert_eq!(keep(&here, 0, 41, 10).await, 3);
    assert_eq!(keep(&here, 50, 50, 10).await, 0);
    assert_eq!(keep(&nobody, 0, 99, 10).await, 0);
    let kept = store
        .range(&here, Millis(0), Millis(100), 10)
        .await
        .unwrap();
    assert_eq!(times(&kept), vec![10, 20, 30, 35, 40]);
    assert_eq!(kept[1], record(&here, 20, 1));
    assert_eq!(keep(&other, 0, 99, 10).await, 1);

    // A backlog's answer is in the order given however it is written (DynamoDB writes
    // in parallel): every third record of 60 was stored before.
    let backlog = InstrumentKey::from_stored(format!("{prefix}/contract/backlog"));
    let before: Vec<_> = (0..60)
        .filter(|t| t % 3 == 0)
        .map(|t| record(&backlog, t, 1))
        .collect();
    store.put(&before).await.unwrap();
    let all: Vec<_> = (0..60).rev().map(|t| record(&backlog, t, 2)).collect();
    let put = store.put(&all).await.unwrap();
    let expected: Vec<bool> = (0..60).rev().map(|t| t % 3 != 0).collect();
    assert_eq!(put.0, expected, "newly stored exactly where none was");

    // Deleting is oldest first, before the instant only, at most `limit` a call, and of
    // one instrument: the 50 records before 50 go as 25, then 25 of 30 asked; whether
    // more may remain is told.
    let first = store.delete_before(&backlog, Millis(50), 25).await.unwrap();
    assert_eq!((first.deleted, first.more), (25, true));
    assert_eq!(store.newest(&backlog, 100).await.unwrap().len(), 35);
    let second = store.delete_before(&backlog, Millis(50), 30).await.unwrap();
    assert_eq!((second.deleted, second.more), (25, false));
    let none = store.delete_before(&backlog, Millis(50), 30).await.unwrap();
    assert_eq!((none.deleted, none.more), (0, false));
    let left = store
        .range(&backlog, Millis(0), Millis(100), 100)
        .await
        .unwrap();
    assert_eq!(
        times(&left),
        (50..60).collect::<Vec<_>>(),
        "from 50 on, kept"
    );
    let rest = store
        .delete_before(&backlog, Millis(i64::MAX), 100)
        .await
        .unwrap();
    assert_eq!(rest.deleted, 10);
    assert!(store.newest(&backlog, 10).await.unwrap().is_empty());
    assert_eq!(times(&store.newest(&other, 10).await.unwrap()), vec![25]);
}
