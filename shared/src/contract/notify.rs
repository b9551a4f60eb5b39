//! The contract of [`NotificationDestinations`] and [`Deliveries`].

use super::fixtures::{account, created_group};
use crate::domain::ids::{GroupId, UserId};
use crate::domain::notify::{Destinations, WebhookUrl};
use crate::domain::record::Millis;
use crate::domain::settings::Language;
use crate::ports::{Accounts, Claim, Deliveries, GroupKey, Groups, NotificationDestinations};

/// Holds `store` to the contracts of [`NotificationDestinations`] (kept with the group)
/// and [`Deliveries`] on accounts `{prefix}-…`.
pub async fn notify(
    store: &(impl Accounts + Groups + NotificationDestinations + Deliveries),
    prefix: &str,
) {
    let acme = account(store, prefix, "notify").await.id;
    let plant = created_group(store, &acme, "plant").await;
    let key = GroupKey {
        account: &acme,
        group: &plant.id,
    };
    let nowhere = GroupId::parse("nowhere").unwrap();
    let missing = GroupKey {
        account: &acme,
        group: &nowhere,
    };

    // None set: the default; no group: none at all, and nothing set.
    assert_eq!(
        store.destinations(key).await.unwrap(),
        Some(Destinations::default())
    );
    let destinations = Destinations {
        mail: vec![UserId::parse("owner").unwrap()],
        slack: Some(WebhookUrl::new("https://hooks.slack.com/services/T/B/c")),
        wecom: None,
        language: Some(Language::German),
        app_status: true,
    };
    assert!(store.set_destinations(key, &destinations).await.unwrap());
    assert_eq!(
        store.destinations(key).await.unwrap(),
        Some(destinations.clone())
    );
    assert_eq!(store.destinations(missing).await.unwrap(), None);
    assert!(!store
        .set_destinations(missing, &destinations)
        .await
        .unwrap());
    assert_eq!(
        store.destinations(missing).await.unwrap(),
        None,
        "no group made"
    );

    // Claimed once until the lease ends; released, claimed again; delivered, for good.
    let (t, lease) = (Millis(1_000_000), 30_000);
    let claim = |now: Millis| store.claim_delivery(key, "n1", "slack", now, now.plus(lease));
    assert_eq!(claim(t).await.unwrap(), Claim::Claimed);
    assert_eq!(claim(t.plus(1)).await.unwrap(), Claim::Busy);
    assert_eq!(
        claim(t.plus(lease)).await.unwrap(),
        Claim::Claimed,
        "lease over"
    );
    store
        .release_delivery(key, "n1", "slack", t.plus(lease).plus(lease))
        .await
        .unwrap();
    assert_eq!(
        claim(t.plus(lease + 1)).await.unwrap(),
        Claim::Claimed,
        "released"
    );
    // A release of a lease that is not the holder's leaves the claim.
    store.release_delivery(key, "n1", "slack", t).await.unwrap();
    assert_eq!(claim(t.plus(lease + 2)).await.unwrap(), Claim::Busy);
    store.mark_delivered(key, "n1", "slack", t).await.unwrap();
    assert_eq!(claim(t.plus(10 * lease)).await.unwrap(), Claim::Delivered);
    store
        .release_delivery(key, "n1", "slack", t.plus(lease + 1).plus(lease))
        .await
        .unwrap();
    assert_eq!(
        claim(t.plus(20 * lease)).await.unwrap(),
        Claim::Delivered,
        "for good"
    );
    // Per notification and destination.
    assert_eq!(
        store
            .claim_delivery(key, "n1", "wecom", t, t.plus(lease))
            .await
            .unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        store
            .claim_delivery(key, "n2", "slack", t, t.plus(lease))
            .await
            .unwrap(),
        Claim::Claimed
    );
}
