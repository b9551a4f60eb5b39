//! Apps' identities in AWS IoT Core (control plane): a thing per app and a certificate
//! made by IoT Core, attached to the thing and to the apps' policy, which lets a
//! certificate publish only on its own thing's topic.

use async_trait::async_trait;
use aws_sdk_iot::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iot::types::CertificateStatus;
use aws_sdk_iot::Client;

use crate::domain::ids::ThingName;
use crate::ports::{DeviceCredentials, StoreError, Things};

#[derive(Clone)]
pub struct IotThings {
    client: Client,
    policy: String,
    endpoint: String,
}

fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    error: SdkError<E, R>,
) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(error).to_string())
}

/// `Ok` for success and for "not found": removing what is gone is done.
fn gone_is_fine<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<(), StoreError>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(()),
        Err(error) => Err(unavailable(error)),
    }
}

impl IotThings {
    /// `policy` is the IoT policy attached to every app's certificate; `endpoint` the
    /// account's data endpoint (see [`IotThings::data_endpoint`]).
    pub fn new(client: Client, policy: impl Into<String>, endpoint: impl Into<String>) -> Self {
        IotThings {
            client,
            policy: policy.into(),
            endpoint: endpoint.into(),
        }
    }

    /// The account's ATS data endpoint for MQTT over TLS (`host:8883`), asked once at
    /// cold start.
    pub async fn data_endpoint(client: &Client) -> Result<String, String> {
        let host = client
            .describe_endpoint()
            .endpoint_type("iot:Data-ATS")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "asking IoT Core for its endpoint: {}",
                    DisplayErrorContext(e)
                )
            })?
            .endpoint_address
            .ok_or_else(|| "IoT Core named no endpoint".to_owned())?;
        Ok(format!("{host}:8883"))
    }

    fn certificate_arn(&self, certificate_id: &str, principals: &[String]) -> Option<String> {
        principals
            .iter()
            .find(|arn| arn.ends_with(&format!("cert/{certificate_id}")))
            .cloned()
    }
}

#[async_trait]
impl Things for IotThings {
    async fn provision(&self, thing: &ThingName) -> Result<DeviceCredentials, StoreError> {
        self.client
            .create_thing()
            .thing_name(thing.as_str())
            .send()
            .await
            .map_err(unavailable)?;
        let created = self
            .client
            .create_keys_and_certificate()
            .set_as_active(true)
            .send()
            .await
            .map_err(unavailable)?;
        let missing =
            || StoreError::Unavailable("IoT Core returned an incomplete certificate".into());
        let arn = created.certificate_arn.ok_or_else(missing)?;
        self.client
            .attach_policy()
            .policy_name(&self.policy)
            .target(&arn)
            .send()
            .await
            .map_err(unavailable)?;
        self.client
            .attach_thing_principal()
            .thing_name(thing.as_str())
            .principal(&arn)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(DeviceCredentials {
            certificate_id: created.certificate_id.ok_or_else(missing)?,
            certificate_pem: created.certificate_pem.ok_or_else(missing)?,
            private_key: created
                .key_pair
                .and_then(|pair| pair.private_key)
                .ok_or_else(missing)?,
        })
    }

    async fn set_active(&self, certificate_id: &str, active: bool) -> Result<(), StoreError> {
        let status = if active {
            CertificateStatus::Active
        } else {
            CertificateStatus::Inactive
        };
        self.client
            .update_certificate()
            .certificate_id(certificate_id)
            .new_status(status)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn deprovision(
        &self,
        thing: &ThingName,
        certificate_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let principals = match self
            .client
            .list_thing_principals()
            .thing_name(thing.as_str())
            .send()
            .await
        {
            Ok(output) => output.principals.unwrap_or_default(),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Vec::new(),
            Err(error) => return Err(unavailable(error)),
        };
        if let Some(id) = certificate_id {
            if let Some(arn) = self.certificate_arn(id, &principals) {
                gone_is_fine(
                    self.client
                        .detach_thing_principal()
                        .thing_name(thing.as_str())
                        .principal(&arn)
                        .send()
                        .await,
                )?;
                gone_is_fine(
                    self.client
                        .detach_policy()
                        .policy_name(&self.policy)
                        .target(&arn)
                        .send()
                        .await,
                )?;
            }
            // A certificate must be inactive before it can be deleted.
            gone_is_fine(
                self.client
                    .update_certificate()
                    .certificate_id(id)
                    .new_status(CertificateStatus::Inactive)
                    .send()
                    .await,
            )?;
            gone_is_fine(
                self.client
                    .delete_certificate()
                    .certificate_id(id)
                    .send()
                    .await,
            )?;
        }
        gone_is_fine(
            self.client
                .delete_thing()
                .thing_name(thing.as_str())
                .send()
                .await,
        )
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }
}
