//! The contract of [`DataUsage`]: bytes per instrument key, summed per account, each
//! stream position counted once.

use super::fixtures::account_id;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{StreamPosition, Tally};
use crate::ports::{Counted, DataUsage};

fn tally(bytes: i64, first: &str, last: &str) -> Tally {
    Tally {
        bytes,
        first: StreamPosition::parse(first).unwrap(),
        last: StreamPosition::parse(last).unwrap(),
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
    assert_eq!(counted.unwrap(), Counted::Counted);
    let counted = store
        .count_data(&acme, &meter, &tally(45, "101", "101"))
        .await;
    assert_eq!(counted.unwrap(), Counted::Counted);
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
    assert_eq!(counted.unwrap(), Counted::Counted);
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 245);

    // Another account's data is its own, even under a position counted for acme.
    let theirs = key(&other, "gw.r1/L1/i1");
    let counted = store
        .count_data(&other, &theirs, &tally(7, "100", "100"))
        .await;
    assert_eq!(counted.unwrap(), Counted::Counted);
    assert_eq!(store.data_bytes(&other).await.unwrap(), 7);
    assert_eq!(store.data_bytes(&acme).await.unwrap(), 245);

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
