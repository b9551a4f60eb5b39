//! Apps' identities in AWS IoT Core (control plane): a thing per app and a certificate
//! made by IoT Core, attached to the thing and to the apps' policy, which lets a
//! certificate publish only on its own thing's topic.

use async_trait::async_trait;
use aws_sdk_iot::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iot::types::AttributePayload;
use aws_sdk_iot::types::CertificateStatus;
use aws_sdk_iot::Client;
use tokio::sync::OnceCell;

use crate::domain::iot_thing::IotThing;
use crate::domain::registry::RegistrationId;
use crate::ports::{DeviceCredentials, Provisioned, StoreError, Things};

/// How long IoT Core may take to name its data endpoint.
const ENDPOINT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct IotThings {
    client: Client,
    policy: String,
    /// The data endpoint apps connect to, asked of IoT Core on first use and kept: only
    /// registering an app needs it, so a cold start makes no call for it.
    endpoint: OnceCell<String>,
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

/// Runs a delete until it stops failing because what it deletes is still in use (IoT
/// Core detaches asynchronously), a few times with backoff; gone counts as done.
async fn retry_while_in_use<F, Fut, T, E, R>(delete: F) -> Result<(), StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let mut pause = std::time::Duration::from_millis(250);
    for _ in 0..4 {
        match delete().await {
            Err(error)
                if matches!(
                    error.code(),
                    Some("DeleteConflictException" | "InvalidRequestException")
                ) =>
            {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            result => return gone_is_fine(result),
        }
    }
    gone_is_fine(delete().await)
}

impl IotThings {
    /// `policy` is the IoT policy attached to every app's certificate. The endpoint apps
    /// connect to is the account's ATS data endpoint, asked of IoT Core when first needed.
    pub fn new(client: Client, policy: impl Into<String>) -> Self {
        IotThings {
            client,
            policy: policy.into(),
            endpoint: OnceCell::new(),
        }
    }

    /// Apps connect to `endpoint` (`host:port`) instead: the local cloud's own broker.
    pub fn with_endpoint(
        client: Client,
        policy: impl Into<String>,
        endpoint: impl Into<String>,
    ) -> Self {
        IotThings {
            client,
            policy: policy.into(),
            endpoint: OnceCell::new_with(Some(endpoint.into())),
        }
    }

    /// The account's ATS data endpoint for MQTT over TLS (`host:8883`). A failure is
    /// logged as an error: the API answers it with a 503, which the operator's alarm on
    /// the API's server errors counts.
    async fn data_endpoint(&self) -> Result<String, StoreError> {
        let host = self
            .client
            .describe_endpoint()
            .endpoint_type("iot:Data-ATS")
            // Asked during a registration: a hung IoT Core must not hold the request to
            // API Gateway's limit, but answer as unavailable.
            .customize()
            .config_override(
                aws_sdk_iot::config::Config::builder().timeout_config(
                    aws_sdk_iot::config::timeout::TimeoutConfig::builder()
                        .operation_timeout(ENDPOINT_TIMEOUT)
                        .build(),
                ),
            )
            .send()
            .await
            .map_err(|e| {
                let error = format!("no IoT data endpoint: {}", DisplayErrorContext(e));
                tracing::error!("{error}");
                StoreError::Unavailable(error)
            })?
            .endpoint_address
            .ok_or_else(|| StoreError::Unavailable("IoT Core named no data endpoint".into()))?;
        Ok(format!("{host}:8883"))
    }

    /// Attaches the apps' policy to certificate `arn` and the certificate to the thing.
    async fn attach(&self, thing: &IotThing, arn: &str) -> Result<(), StoreError> {
        self.client
            .attach_policy()
            .policy_name(&self.policy)
            .target(arn)
            .send()
            .await
            .map_err(unavailable)?;
        self.client
            .attach_thing_principal()
            .thing_name(thing.as_str())
            .principal(arn)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Makes an active certificate for `thing`, attached to it and to the apps' policy. If
    /// attaching fails, the certificate goes again: its key is lost with the error.
    async fn certify(&self, thing: &IotThing) -> Result<DeviceCredentials, StoreError> {
        let created = self
            .client
            .create_keys_and_certificate()
            .set_as_active(true)
            .send()
            .await
            .map_err(unavailable)?;
        let missing =
            || StoreError::Unavailable("IoT Core returned an incomplete certificate".into());
        let (Some(id), Some(arn), Some(pem), Some(key)) = (
            created.certificate_id,
            created.certificate_arn,
            created.certificate_pem,
            created.key_pair.and_then(|pair| pair.private_key),
        ) else {
            return Err(missing());
        };
        if let Err(error) = self.attach(thing, &arn).await {
            let _ = gone_is_fine(
                self.client
                    .detach_thing_principal()
                    .thing_name(thing.as_str())
                    .principal(&arn)
                    .send()
                    .await,
            );
            let _ = self.remove_certificate(&id).await;
            return Err(error);
        }
        Ok(DeviceCredentials {
            certificate_id: id,
            certificate_pem: pem,
            private_key: key,
        })
    }

    /// Detaches the apps' policy from a certificate, deactivates and deletes it.
    async fn remove_certificate(&self, id: &str) -> Result<(), StoreError> {
        let arn = match self
            .client
            .describe_certificate()
            .certificate_id(id)
            .send()
            .await
        {
            Ok(output) => output
                .certificate_description
                .and_then(|description| description.certificate_arn),
            Err(error) if error.code() == Some("ResourceNotFoundException") => return Ok(()),
            Err(error) => return Err(unavailable(error)),
        };
        if let Some(arn) = arn {
            gone_is_fine(
                self.client
                    .detach_policy()
                    .policy_name(&self.policy)
                    .target(arn)
                    .send()
                    .await,
            )?;
        }
        gone_is_fine(
            self.client
                .update_certificate()
                .certificate_id(id)
                .new_status(CertificateStatus::Inactive)
                .send()
                .await,
        )?;
        retry_while_in_use(|| async {
            self.client
                .delete_certificate()
                .certificate_id(id)
                .force_delete(true)
                .send()
                .await
        })
        .await
    }
}

#[async_trait]
impl Things for IotThings {
    async fn provision(
        &self,
        thing: &IotThing,
        registration: RegistrationId,
    ) -> Result<Provisioned, StoreError> {
        // A thing of this name that exists already is not ours to take over: it may be a
        // left-over of a failed deletion, or made outside the stack. CreateThing alone
        // would hand it back as if new (it is idempotent for equal attributes), so ask
        // first; and the registration attribute makes CreateThing itself refuse a thing
        // that appeared in between, as its attributes differ.
        match self
            .client
            .describe_thing()
            .thing_name(thing.as_str())
            .send()
            .await
        {
            Ok(_) => return Ok(Provisioned::Exists),
            Err(error) if error.code() == Some("ResourceNotFoundException") => {}
            Err(error) => return Err(unavailable(error)),
        }
        let attributes = AttributePayload::builder()
            .attributes("registration", registration.to_string())
            .build();
        match self
            .client
            .create_thing()
            .thing_name(thing.as_str())
            .attribute_payload(attributes)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceAlreadyExistsException") => {
                return Ok(Provisioned::Exists)
            }
            Err(error) => return Err(unavailable(error)),
        }
        match self.certify(thing).await {
            Ok(credentials) => Ok(Provisioned::Created(credentials)),
            Err(error) => {
                // The thing was made by this call and has no certificate left on it.
                let _ = retry_while_in_use(|| async {
                    self.client
                        .delete_thing()
                        .thing_name(thing.as_str())
                        .send()
                        .await
                })
                .await;
                Err(error)
            }
        }
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
        thing: &IotThing,
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
        // Every certificate on the thing goes, not only the one recorded: a registration
        // that failed half-way may have left another.
        let mut certificates: Vec<String> = principals
            .iter()
            .filter_map(|arn| arn.rsplit_once(":cert/").map(|(_, id)| id.to_owned()))
            .collect();
        if let Some(id) = certificate_id {
            if !certificates.iter().any(|c| c == id) {
                certificates.push(id.to_owned());
            }
        }
        for arn in &principals {
            gone_is_fine(
                self.client
                    .detach_thing_principal()
                    .thing_name(thing.as_str())
                    .principal(arn)
                    .send()
                    .await,
            )?;
        }
        for id in &certificates {
            self.remove_certificate(id).await?;
        }
        // Detaching finishes asynchronously in IoT Core: the thing may still look attached.
        retry_while_in_use(|| async {
            self.client
                .delete_thing()
                .thing_name(thing.as_str())
                .send()
                .await
        })
        .await
    }

    async fn endpoint(&self) -> Result<String, StoreError> {
        // A failed ask is not kept: the next registration asks again.
        self.endpoint
            .get_or_try_init(|| self.data_endpoint())
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iot::config::retry::RetryConfig;
    use aws_sdk_iot::config::{BehaviorVersion, Credentials, Region};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An IoT client for `endpoint_url`, with test credentials and no retries.
    fn client(endpoint_url: &str) -> Client {
        Client::from_conf(
            aws_sdk_iot::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("test", "test", None, None, "test"))
                .retry_config(RetryConfig::disabled())
                .endpoint_url(endpoint_url)
                .build(),
        )
    }

    /// A stand-in for IoT Core that fails its first `failures` requests (500), answers
    /// every later one with a data endpoint, and counts them all.
    async fn iot_core(asked: Arc<AtomicUsize>, failures: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buffer = [0; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let failed = asked.fetch_add(1, Ordering::SeqCst) < failures;
                let (status, body) = if failed {
                    ("500 Internal Server Error", r#"{"message":"down"}"#)
                } else {
                    (
                        "200 OK",
                        r#"{"endpointAddress":"abc-ats.iot.us-east-1.amazonaws.com"}"#,
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        format!("http://{address}")
    }

    #[tokio::test]
    async fn data_endpoint_is_asked_on_first_use_only() {
        let asked = Arc::new(AtomicUsize::new(0));
        let things = IotThings::new(client(&iot_core(asked.clone(), 0).await), "apps");
        assert_eq!(
            asked.load(Ordering::SeqCst),
            0,
            "asked before it was needed"
        );
        for _ in 0..3 {
            assert_eq!(
                things.endpoint().await.unwrap(),
                "abc-ats.iot.us-east-1.amazonaws.com:8883"
            );
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn endpoint_iot_core_cannot_give_is_unavailable() {
        // Nothing listens on port 1.
        let things = IotThings::new(client("http://127.0.0.1:1"), "apps");
        match things.endpoint().await {
            Err(StoreError::Unavailable(message)) => {
                assert!(message.contains("data endpoint"), "{message}")
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_failed_ask_is_not_kept_the_next_use_asks_again() {
        let asked = Arc::new(AtomicUsize::new(0));
        let things = IotThings::new(client(&iot_core(asked.clone(), 1).await), "apps");
        assert!(matches!(
            things.endpoint().await,
            Err(StoreError::Unavailable(_))
        ));
        assert_eq!(
            things.endpoint().await.unwrap(),
            "abc-ats.iot.us-east-1.amazonaws.com:8883"
        );
        assert_eq!(asked.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_given_endpoint_needs_no_call() {
        let things =
            IotThings::with_endpoint(client("http://127.0.0.1:1"), "apps", "127.0.0.1:1883");
        assert_eq!(things.endpoint().await.unwrap(), "127.0.0.1:1883");
    }
}
