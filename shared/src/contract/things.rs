//! The contract of [`Things`].

use crate::domain::ids::{AccountId, AppId};
use crate::domain::iot_thing::Stack;
use crate::domain::registry::RegistrationId;
use crate::ports::{DeviceCredentials, Provisioned, Things};

fn created(outcome: Provisioned) -> DeviceCredentials {
    match outcome {
        Provisioned::Created(credentials) => credentials,
        Provisioned::Exists => panic!("expected a new thing, found one of that name"),
    }
}

/// Holds `things` to the contract of [`Things`], on things of the stack named `prefix`
/// (a letter, then letters, digits and `-`): a name is provisioned once until it is
/// deprovisioned, and deprovisioning what is gone already is done.
pub async fn things(things: &impl Things, prefix: &str) {
    let stack = Stack::parse(prefix).expect("the prefix names a stack");
    let account = AccountId::parse("acme").unwrap();
    let thing = stack.thing(&account, &AppId::parse("gw-1").unwrap());
    let other = stack.thing(&account, &AppId::parse("gw-2").unwrap());
    let registration = RegistrationId::from_random(1 << 16);

    let first = created(things.provision(&thing, registration).await.unwrap());
    assert!(!first.certificate_id.is_empty());
    assert!(first.certificate_pem.contains("CERTIFICATE"));
    assert!(!first.private_key.is_empty());
    assert_eq!(
        things.provision(&thing, registration).await.unwrap(),
        Provisioned::Exists,
        "a name is taken while its thing exists"
    );
    let second = created(things.provision(&other, registration).await.unwrap());
    assert_ne!(
        second.certificate_id, first.certificate_id,
        "a certificate per thing"
    );

    things
        .set_active(&first.certificate_id, false)
        .await
        .unwrap();
    things
        .set_active(&first.certificate_id, true)
        .await
        .unwrap();

    // Removed with its certificate; what is gone already is skipped.
    things
        .deprovision(&thing, Some(&first.certificate_id))
        .await
        .unwrap();
    things
        .deprovision(&thing, Some(&first.certificate_id))
        .await
        .unwrap();
    let again = created(things.provision(&thing, registration).await.unwrap());
    assert_ne!(
        again.certificate_id, first.certificate_id,
        "a new certificate"
    );
    // Without the certificate named, the thing's own goes with it.
    things.deprovision(&thing, None).await.unwrap();
    things
        .deprovision(&other, Some(&second.certificate_id))
        .await
        .unwrap();
    created(things.provision(&other, registration).await.unwrap());
    things.deprovision(&other, None).await.unwrap();

    assert!(!things.endpoint().await.unwrap().is_empty());
}
