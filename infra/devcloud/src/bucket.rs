//! The files bucket in the emulator, set up as the template sets it up: its reports to the
//! files queue, and the CORS rules that let the portal's browsers upload and download
//! straight from it.

use anyhow::{anyhow, bail, Context};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use serde_norway::Value;

use crate::iam;
use crate::template::resource_properties;

/// Creates `bucket`.
pub async fn create(endpoint: &str, bucket: &str) -> anyhow::Result<()> {
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .context("creating the files bucket")?;
    anyhow::ensure!(
        response.status().is_success(),
        "creating bucket {bucket} answered {}",
        response.status()
    );
    Ok(())
}

/// Has the bucket tell the queue `queue_arn` of every object created under `files/`, as
/// the template's notification configuration does.
pub async fn notify_queue(
    config: &aws_config::SdkConfig,
    bucket: &str,
    queue_arn: &str,
) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let prefix = FilterRule::builder()
        .name(FilterRuleName::Prefix)
        .value(fieldcloud::domain::files::FILES_PREFIX)
        .build();
    let queue = QueueConfiguration::builder()
        .queue_arn(queue_arn)
        .events(Event::S3ObjectCreated)
        .filter(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().filter_rules(prefix).build())
                .build(),
        )
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    iam::s3_client(config, None)
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))
        .context("telling the files queue of new objects")?;
    Ok(())
}

/// Gives the bucket the template's CORS rules, the portal at `portal_origin`. moto runs
/// with its own allow-everything CORS turned off (see [`crate::moto`]), so a browser's
/// upload works here only if these rules allow it, as in AWS.
pub async fn allow_portal(
    config: &aws_config::SdkConfig,
    bucket: &str,
    portal_origin: &str,
) -> anyhow::Result<()> {
    let rules = template_cors_rules(portal_origin)?;
    iam::s3_client(config, None)
        .put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(
            CorsConfiguration::builder()
                .set_cors_rules(Some(rules))
                .build()
                .map_err(|e| anyhow!("{e}"))?,
        )
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))
        .context("letting the portal reach the files bucket")?;
    Ok(())
}

/// The `FilesBucket`'s `CorsRules` in the template, `!Ref PortalUrl` read as
/// `portal_origin`.
fn template_cors_rules(portal_origin: &str) -> anyhow::Result<Vec<CorsRule>> {
    let properties = resource_properties("FilesBucket")?;
    let Some(Value::Sequence(rules)) = properties
        .get("CorsConfiguration")
        .and_then(|cors| cors.get("CorsRules"))
    else {
        bail!("template.yaml's FilesBucket has no CorsConfiguration.CorsRules");
    };
    rules
        .iter()
        .map(|rule| {
            let strings = |field: &str| -> anyhow::Result<Option<Vec<String>>> {
                let Some(values) = rule.get(field) else {
                    return Ok(None);
                };
                let values = values
                    .as_sequence()
                    .with_context(|| format!("CORS rule's {field} is not a list"))?;
                values
                    .iter()
                    .map(|value| string_or_portal(value, portal_origin))
                    .collect::<anyhow::Result<Vec<_>>>()
                    .map(Some)
            };
            CorsRule::builder()
                .set_allowed_methods(strings("AllowedMethods")?)
                .set_allowed_origins(strings("AllowedOrigins")?)
                .set_allowed_headers(strings("AllowedHeaders")?)
                .set_expose_headers(strings("ExposedHeaders")?)
                .set_max_age_seconds(
                    rule.get("MaxAge")
                        .and_then(Value::as_i64)
                        .map(i32::try_from)
                        .transpose()?,
                )
                .build()
                .map_err(|e| anyhow!("{e}"))
        })
        .collect()
}

fn string_or_portal(value: &Value, portal_origin: &str) -> anyhow::Result<String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Tagged(tagged)
            if tagged.tag == "Ref" && tagged.value.as_str() == Some("PortalUrl") =>
        {
            Ok(portal_origin.to_owned())
        }
        other => bail!("a CORS rule holds {other:?}, which the local cloud cannot read"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_cors_rules_let_the_portal_alone_put_and_get() {
        let rules = template_cors_rules("http://127.0.0.1:8787").unwrap();
        assert_eq!(rules.len(), 1);
        let rule = &rules[0];
        assert_eq!(rule.allowed_origins(), ["http://127.0.0.1:8787"]);
        assert_eq!(rule.allowed_methods(), ["PUT", "GET"]);
        // An upload's PUT is signed with these: a browser sends no header the rule
        // does not name.
        for signed in ["Content-Type", "If-None-Match"] {
            assert!(
                rule.allowed_headers().iter().any(|h| h == signed),
                "{signed}"
            );
        }
        // Completing an upload in parts names each part's ETag, which a browser reads
        // only when it is exposed.
        assert_eq!(rule.expose_headers(), ["ETag"]);
    }
}
