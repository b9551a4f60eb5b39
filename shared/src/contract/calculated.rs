//! The contract of [`CalculatedChannels`].

use std::collections::BTreeMap;

use super::fixtures::{account, created_group, group};
use crate::domain::calculated::{Backfill, CalculatedChannel};
use crate::domain::ids::{CalcId, ChannelName};
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::ports::{Accounts, CalculatedChannels, Groups, Saved};

fn channel(group: &Group, id: &str) -> CalculatedChannel {
    CalculatedChannel {
        account: group.account.clone(),
        group: group.id.clone(),
        id: CalcId::parse(id).unwrap(),
        name: ChannelName::parse(format!("calc {id}")).unwrap(),
        expression: "1 + 1".into(),
        canonical: "1 + 1".into(),
        sources: Vec::new(),
        pins: BTreeMap::new(),
        version: 0,
        formula: 1,
        backfill: Backfill::default(),
    }
}

fn progress(through: Option<i64>, computed: u64, done: bool) -> Backfill {
    Backfill {
        through: through.map(Millis),
        computed,
        done,
        chain: 1,
    }
}

/// Holds `store` to the contract of [`CalculatedChannels`] (and of [`Groups`] keeping a
/// group with channels) on accounts `{prefix}-…` (see [`super::accounts`]).
pub async fn calculated_channels(
    store: &(impl Accounts + Groups + CalculatedChannels),
    prefix: &str,
) {
    let acme = account(store, prefix, "calculated").await.id;
    let plant = created_group(store, &acme, "plant").await;
    let lab = created_group(store, &acme, "lab").await;

    // Counted per group: the last slot, then the limit; a taken ID is refused.
    let a = channel(&plant, "a");
    assert!(store.create_calculated(&a, 2).await.unwrap());
    assert!(
        !store.create_calculated(&a, 2).await.unwrap(),
        "the ID is taken"
    );
    assert!(
        store
            .create_calculated(&channel(&plant, "b"), 2)
            .await
            .unwrap(),
        "the last slot"
    );
    assert!(!store
        .create_calculated(&channel(&plant, "c"), 2)
        .await
        .unwrap());
    assert_eq!(
        store
            .calculated_channel(&acme, &plant.id, &CalcId::parse("c").unwrap())
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .create_calculated(&channel(&lab, "c"), 1)
            .await
            .unwrap(),
        "per group"
    );
    assert!(
        !store
            .create_calculated(&channel(&group(&acme, "none"), "d"), 10)
            .await
            .unwrap(),
        "only in a group that exists"
    );
    assert_eq!(
        store
            .calculated_channel(&acme, &plant.id, &a.id)
            .await
            .unwrap(),
        Some(a.clone())
    );
    let ids: Vec<_> = store
        .calculated_channels(&acme, &plant.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.as_str().to_owned())
        .collect();
    assert_eq!(ids, vec!["a", "b"]);
    assert!(
        !store.delete_group(&acme, &plant.id).await.unwrap(),
        "a group with channels stays"
    );

    // Backfill progress moves forward only, for the formula it was computed for.
    assert!(store
        .record_backfill(&a, progress(Some(100), 10, false))
        .await
        .unwrap());
    assert!(
        !store
            .record_backfill(&a, progress(Some(100), 11, false))
            .await
            .unwrap(),
        "not forward"
    );
    assert!(
        !store
            .record_backfill(&a, progress(Some(50), 12, false))
            .await
            .unwrap(),
        "backward"
    );
    let read = store
        .calculated_channel(&acme, &plant.id, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.backfill, progress(Some(100), 10, false));
    assert!(
        store
            .record_backfill(&a, progress(None, 20, true))
            .await
            .unwrap(),
        "the end"
    );
    let read = store
        .calculated_channel(&acme, &plant.id, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.backfill,
        progress(Some(100), 20, true),
        "the end keeps `through`"
    );
    let old_formula = CalculatedChannel {
        formula: 0,
        ..a.clone()
    };
    assert!(!store
        .record_backfill(&old_formula, progress(Some(200), 1, false))
        .await
        .unwrap());
    let missing = channel(&plant, "zz");
    assert!(!store
        .record_backfill(&missing, progress(Some(1), 1, false))
        .await
        .unwrap());

    // Edits are checked on the version: a stale one, or one of nothing, conflicts.
    let renamed = CalculatedChannel {
        name: ChannelName::parse("renamed").unwrap(),
        version: 1,
        ..a.clone()
    };
    assert_eq!(
        store.update_calculated(&renamed, false).await.unwrap(),
        Saved::Written
    );
    let read = store
        .calculated_channel(&acme, &plant.id, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.name.as_str(), "renamed");
    assert_eq!(read.version, 1);
    assert_eq!(
        read.backfill,
        progress(Some(100), 20, true),
        "kept without a new formula"
    );
    assert_eq!(
        store.update_calculated(&renamed, false).await.unwrap(),
        Saved::Conflict
    );
    let missing_edit = CalculatedChannel {
        version: 1,
        ..missing.clone()
    };
    assert_eq!(
        store.update_calculated(&missing_edit, false).await.unwrap(),
        Saved::Conflict
    );
    assert_eq!(
        store
            .calculated_channel(&acme, &plant.id, &missing.id)
            .await
            .unwrap(),
        None
    );
    let reformed = CalculatedChannel {
        expression: "2 * 2".into(),
        canonical: "2 * 2".into(),
        version: 2,
        formula: 2,
        ..renamed.clone()
    };
    assert_eq!(
        store.update_calculated(&reformed, true).await.unwrap(),
        Saved::Written
    );
    let read = store
        .calculated_channel(&acme, &plant.id, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.expression.as_str(), read.formula, read.version),
        ("2 * 2", 2, 2)
    );
    let started_over = read.backfill;
    assert_eq!(
        (
            started_over.through,
            started_over.computed,
            started_over.done
        ),
        (None, 0, false),
        "a new formula starts its backfill over"
    );
    assert!(
        !store
            .record_backfill(&renamed, progress(Some(300), 1, false))
            .await
            .unwrap(),
        "the old formula"
    );
    assert!(store
        .record_backfill(&reformed, progress(Some(10), 1, false))
        .await
        .unwrap());

    // A delete frees the slot; a second one finds nothing.
    assert!(store
        .delete_calculated(&acme, &plant.id, &a.id)
        .await
        .unwrap());
    assert_eq!(
        store
            .calculated_channel(&acme, &plant.id, &a.id)
            .await
            .unwrap(),
        None
    );
    assert!(!store
        .delete_calculated(&acme, &plant.id, &a.id)
        .await
        .unwrap());
    assert!(
        store
            .create_calculated(&channel(&plant, "c"), 2)
            .await
            .unwrap(),
        "a freed slot"
    );
}
