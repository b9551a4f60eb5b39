//! The [`Things`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::iot_thing::IotThing;
use crate::domain::registry::RegistrationId;

/// What an app needs to connect to IoT Core: its own certificate and private key. The
/// key is made by IoT Core, handed over once and stored nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCredentials {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub private_key: String,
}

/// Outcome of provisioning an app's thing.
#[derive(Debug, PartialEq, Eq)]
pub enum Provisioned {
    Created(DeviceCredentials),
    /// A thing of that name exists already (left over, or made outside this stack): it
    /// was not touched, and no certificate was made.
    Exists,
}

/// The apps' identities in IoT Core: a thing per app, with a certificate the apps' policy
/// is attached to.
#[async_trait]
pub trait Things: Send + Sync {
    /// Creates the thing (tagged with `registration`) and an active certificate attached
    /// to it and to the policy. On failure it removes what it made, and only that.
    async fn provision(
        &self,
        thing: &IotThing,
        registration: RegistrationId,
    ) -> Result<Provisioned, StoreError>;
    /// Lets a certificate connect, or stops it.
    async fn set_active(&self, certificate_id: &str, active: bool) -> Result<(), StoreError>;
    /// Removes the thing and (if any) its certificate; what is gone already is skipped, so
    /// a retry after a partial failure finishes the job.
    async fn deprovision(
        &self,
        thing: &IotThing,
        certificate_id: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Where apps connect: the MQTT endpoint as `host:port`. It may take a call to IoT
    /// Core the first time, so it can fail (`Unavailable`).
    async fn endpoint(&self) -> Result<String, StoreError>;
}
