//! IoT things in memory: a thing per name, with the certificate made for it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::domain::iot_thing::IotThing;
use crate::domain::registry::RegistrationId;
use crate::ports::{DeviceCredentials, Provisioned, StoreError, Things};

/// A provisioned thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryThing {
    pub registration: RegistrationId,
    pub certificate_id: String,
}

#[derive(Default)]
struct State {
    things: BTreeMap<String, MemoryThing>,
    /// Certificates and whether each may connect.
    certificates: BTreeMap<String, bool>,
    made: u64,
}

/// Things and certificates kept in process: what [`Things`] makes, with made-up
/// credentials, and `localhost:1883` as the endpoint.
#[derive(Default)]
pub struct MemoryThings {
    state: Mutex<State>,
}

impl MemoryThings {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("no panic while holding the lock")
    }

    /// The thing of that name, if provisioned.
    pub fn thing(&self, name: &str) -> Option<MemoryThing> {
        self.state().things.get(name).cloned()
    }

    /// Whether the certificate exists and may connect.
    pub fn active(&self, certificate_id: &str) -> bool {
        self.state().certificates.get(certificate_id) == Some(&true)
    }
}

#[async_trait]
impl Things for MemoryThings {
    async fn provision(
        &self,
        thing: &IotThing,
        registration: RegistrationId,
    ) -> Result<Provisioned, StoreError> {
        let mut state = self.state();
        if state.things.contains_key(thing.as_str()) {
            return Ok(Provisioned::Exists);
        }
        state.made += 1;
        let certificate_id = format!("{:064x}", state.made);
        state.certificates.insert(certificate_id.clone(), true);
        state.things.insert(
            thing.as_str().to_owned(),
            MemoryThing {
                registration,
                certificate_id: certificate_id.clone(),
            },
        );
        Ok(Provisioned::Created(DeviceCredentials {
            certificate_pem: format!(
                "-----BEGIN CERTIFICATE-----\n{certificate_id}\n-----END CERTIFICATE-----\n"
            ),
            private_key: format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{certificate_id}\n-----END RSA PRIVATE KEY-----\n"
            ),
            certificate_id,
        }))
    }

    async fn set_active(&self, certificate_id: &str, active: bool) -> Result<(), StoreError> {
        match self.state().certificates.get_mut(certificate_id) {
            Some(state) => {
                *state = active;
                Ok(())
            }
            // IoT Core refuses an unknown certificate with an error.
            None => Err(StoreError::Unavailable(format!(
                "no certificate `{certificate_id}`"
            ))),
        }
    }

    async fn deprovision(
        &self,
        thing: &IotThing,
        certificate_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        // What is gone already is skipped; the thing's own certificate goes with it,
        // named or not.
        if let Some(removed) = state.things.remove(thing.as_str()) {
            state.certificates.remove(&removed.certificate_id);
        }
        if let Some(id) = certificate_id {
            state.certificates.remove(id);
        }
        Ok(())
    }

    async fn endpoint(&self) -> Result<String, StoreError> {
        Ok("localhost:1883".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::things(&MemoryThings::default(), "memory").await;
    }

    #[tokio::test]
    async fn records_what_it_made() {
        let things = MemoryThings::default();
        let thing = crate::domain::iot_thing::Stack::parse("local")
            .unwrap()
            .thing(
                &crate::domain::ids::AccountId::parse("acme").unwrap(),
                &crate::domain::ids::AppId::parse("gw-1").unwrap(),
            );
        let registration = RegistrationId::from_random(7 << 16);
        let Provisioned::Created(credentials) =
            things.provision(&thing, registration).await.unwrap()
        else {
            panic!("a new thing");
        };
        let made = things.thing(thing.as_str()).unwrap();
        assert_eq!(made.registration, registration);
        assert!(things.active(&credentials.certificate_id));
        things
            .set_active(&credentials.certificate_id, false)
            .await
            .unwrap();
        assert!(!things.active(&credentials.certificate_id));
        assert!(things.set_active("unknown", true).await.is_err());
        things.deprovision(&thing, None).await.unwrap();
        assert_eq!(things.thing(thing.as_str()), None);
        assert!(!things.active(&credentials.certificate_id));
    }
}
