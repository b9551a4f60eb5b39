//! IAM, as AWS applies it to each function: moto checks no permission, so the local cloud
//! gives every function its own SDK clients, and each client carries an [`Enforcer`] that
//! checks every call against that function's policy in `template.yaml` — its actions and
//! resource ARNs after the template's substitutions — and refuses what AWS would refuse.
//! A permission missing from the template then fails the end-to-end test that takes the
//! path, before anything is deployed.
//!
//! What one call needs is read from the request as it goes out: the operation (with the
//! IAM action it needs, several for a transaction or a batch) and the resource it names.

use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value as Json;
use serde_norway::Value;

use crate::template::resource_properties;
use crate::write_log::WriteLog;

/// The names the template's intrinsic functions stand for in the local cloud.
#[derive(Debug, Clone)]
pub struct Names {
    pub region: String,
    pub account: String,
    pub stack: String,
    /// `Ref` of a logical ID or parameter → the local name.
    pub refs: Vec<(&'static str, String)>,
    /// `GetAtt X.Arn` → the local ARN.
    pub arns: Vec<(&'static str, String)>,
}

impl Names {
    fn resolve_sub(&self, text: &str) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in `{text}`"))?;
            let name = &after[..end];
            // `${!Literal}` is the template's escape for a literal `${Literal}`.
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else {
                out.push_str(&self.variable(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn variable(&self, name: &str) -> anyhow::Result<String> {
        match name {
            "AWS::Partition" => Ok("aws".into()),
            "AWS::Region" => Ok(self.region.clone()),
            "AWS::AccountId" => Ok(self.account.clone()),
            "AWS::StackName" => Ok(self.stack.clone()),
            _ => match name.strip_suffix(".Arn") {
                Some(id) => self.arn(id),
                None => self.reference(name),
            },
        }
    }

    fn reference(&self, id: &str) -> anyhow::Result<String> {
        self.refs
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| anyhow!("the local cloud has no name for `Ref {id}`"))
    }

    fn arn(&self, id: &str) -> anyhow::Result<String> {
        self.arns
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| anyhow!("the local cloud has no ARN for `{id}`"))
    }

    /// A resource as the template writes it: a string, `!Ref`, `!GetAtt X.Arn`, `!Sub`.
    fn resolve(&self, value: &Value) -> anyhow::Result<String> {
        match value {
            Value::String(text) => Ok(text.clone()),
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let text = tagged
                    .value
                    .as_str()
                    .ok_or_else(|| anyhow!("{tag} of something other than a string"))?;
                match tag.trim_start_matches('!') {
                    "Ref" => self.reference(text),
                    "GetAtt" => self.arn(text.trim_end_matches(".Arn")),
                    "Sub" => self.resolve_sub(text),
                    other => bail!("intrinsic {other} in a policy resource"),
                }
            }
            other => bail!("unexpected policy resource {other:?}"),
        }
    }
}

/// The statements a function's policy allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<(Vec<String>, Vec<String>)>,
}

impl Policy {
    /// The inline policies of function `logical_id` in the template.
    pub fn of_function(logical_id: &str, names: &Names) -> anyhow::Result<Policy> {
        let properties = resource_properties(logical_id)?;
        let mut statements = Vec::new();
        let policies = properties["Policies"]
            .as_sequence()
            .ok_or_else(|| anyhow!("{logical_id} has no Policies list"))?;
        for policy in policies {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                // What is not understood is refused, so the emulation is never more
                // permissive than IAM: a Deny or a Condition would need modelling first.
                if statement["Effect"].as_str() != Some("Allow") {
                    bail!("{logical_id}: only Allow statements are understood here");
                }
                if statement.get("Condition").is_some() {
                    bail!("{logical_id}: statements with a Condition are not understood here");
                }
                let actions = one_or_many(&statement["Action"])
                    .iter()
                    .map(|a| a.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| anyhow!("{logical_id}: an action that is not a string"))?;
                let resources = one_or_many(&statement["Resource"])
                    .iter()
                    .map(|r| names.resolve(r))
                    .collect::<anyhow::Result<Vec<_>>>()
                    .with_context(|| format!("resources of {logical_id}"))?;
                statements.push((actions, resources));
            }
        }
        Ok(Policy { statements })
    }

    /// Whether some statement allows `action` on `resource` (`*` matches any run).
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        self.statements.iter().any(|(actions, resources)| {
            actions.iter().any(|a| matches(a, action))
                && resources.iter().any(|r| matches(r, resource))
        })
    }
}

fn one_or_many(value: &Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

/// IAM's wildcard match: `*` matches any run of characters, `?` any one.
fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// One permission a call needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    pub action: String,
    pub resource: String,
}

/// The permissions a request of `service`'s `operation` needs in AWS.
///
/// Where AWS's own documents disagree on the resource an action is authorized on, both
/// are needed here, so that the template grants what either reading asks for.
pub fn needed(
    names: &Names,
    service: &str,
    operation: &str,
    path: &str,
    principal: Option<&str>,
    body: &[u8],
) -> anyhow::Result<Vec<Needed>> {
    let json: Json = if body.is_empty() {
        Json::Null
    } else {
        serde_json::from_slice(body).unwrap_or(Json::Null)
    };
    let arn = |service: &str, resource: &str| {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            names.region, names.account
        )
    };
    let need = |action: String, resource: String| Needed { action, resource };
    let text = |field: &str| -> anyhow::Result<String> {
        json[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{service} {operation} without `{field}`"))
    };
    Ok(match service {
        "DynamoDB" => {
            let table = |name: &str| arn("dynamodb", &format!("table/{name}"));
            match operation {
                "BatchGetItem" | "BatchWriteItem" => json["RequestItems"]
                    .as_object()
                    .into_iter()
                    .flat_map(|tables| tables.keys())
                    .map(|name| need(format!("dynamodb:{operation}"), table(name)))
                    .collect(),
                "TransactWriteItems" | "TransactGetItems" => json["TransactItems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| item.as_object()?.iter().next())
                    .map(|(kind, part)| {
                        // IAM authorizes each part as the single-item action it is.
                        let action = match kind.as_str() {
                            "ConditionCheck" => "ConditionCheckItem",
                            "Put" => "PutItem",
                            "Update" => "UpdateItem",
                            "Delete" => "DeleteItem",
                            _ => "GetItem",
                        };
                        let name = part["TableName"].as_str().unwrap_or_default();
                        need(format!("dynamodb:{action}"), table(name))
                    })
                    .collect(),
                _ => {
                    let mut resource = table(&text("TableName")?);
                    if let Some(index) = json["IndexName"].as_str() {
                        resource.push_str(&format!("/index/{index}"));
                    }
                    vec![need(format!("dynamodb:{operation}"), resource)]
                }
            }
        }
        "SQS" => {
            let url = text("QueueUrl")?;
            let queue = url.rsplit('/').next().unwrap_or_default();
            vec![need(format!("sqs:{operation}"), arn("sqs", queue))]
        }
        "SSM" => vec![need(
            format!("ssm:{operation}"),
            arn("ssm", &format!("parameter{}", text("Name")?)),
        )],
        "SESv2" => vec![need(
            format!("ses:{operation}"),
            arn("ses", &format!("identity/{}", text("FromEmailAddress")?)),
        )],
        "IoT" => {
            let segments: Vec<String> = path
                .split('?')
                .next()
                .unwrap_or_default()
                .trim_matches('/')
                .split('/')
                .map(percent_decode)
                .collect();
            let resource = match (segments.first().map(String::as_str), segments.get(1)) {
                (Some("things"), Some(thing)) => arn("iot", &format!("thing/{thing}")),
                (Some("certificates"), Some(id)) => arn("iot", &format!("cert/{id}")),
                // Attaching a policy is authorized on its target (the certificate).
                (Some("target-policies"), Some(_)) => text("target")?,
                // A new certificate, the account's endpoint: no resource yet.
                _ => "*".into(),
            };
            let mut needed = vec![need(format!("iot:{operation}"), resource)];
            // Attaching a certificate to a thing or detaching it: authorized on the thing
            // in one reading of the documents, on the certificate in another.
            if let Some(certificate) = principal {
                needed.push(need(format!("iot:{operation}"), certificate.to_owned()));
            }
            needed
        }
        "S3" => {
            // Path-style (`/{bucket}/{key}`), as the local cloud's clients address it.
            let object = percent_decode(
                path.split('?')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches('/'),
            );
            // IAM names an action by what it does to the object, not by the API call.
            let action = match operation {
                "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => "PutObject",
                "HeadObject" => "GetObject",
                "ListParts" => "ListMultipartUploadParts",
                other => other,
            };
            vec![need(
                format!("s3:{action}"),
                format!("arn:aws:s3:::{object}"),
            )]
        }
        other => bail!("the local IAM does not know service {other}"),
    })
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What was refused, for tests to assert on and the log to show.
pub type Denials = Arc<Mutex<Vec<String>>>;

/// Refuses, as IAM would, every call its function's policy does not allow.
#[derive(Debug, Clone)]
pub struct Enforcer {
    function: &'static str,
    policy: Arc<Policy>,
    names: Arc<Names>,
    denied: Denials,
}

impl Enforcer {
    pub fn new(function: &'static str, names: &Names, denied: Denials) -> anyhow::Result<Self> {
        Ok(Enforcer {
            function,
            policy: Arc::new(Policy::of_function(function, names)?),
            names: Arc::new(names.clone()),
            denied,
        })
    }
}

impl Intercept for Enforcer {
    fn name(&self) -> &'static str {
        "LocalIam"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let metadata = cfg.load::<Metadata>().ok_or("the SDK named no operation")?;
        let request = context.request();
        let body = request.body().bytes().unwrap_or_default();
        // The URI is absolute (`http://host:port/path?query`): IAM cares for the path.
        let uri = request.uri();
        let path = uri
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or(uri);
        let principal = request.headers().get("x-amzn-principal");
        let needed = needed(
            &self.names,
            metadata.service(),
            metadata.name(),
            path,
            principal,
            body,
        )?;
        for Needed { action, resource } in needed {
            if !self.policy.allows(&action, &resource) {
                let denial = format!(
                    "AccessDenied: {} may not {action} on {resource} (template.yaml)",
                    self.function
                );
                tracing::error!("{denial}");
                self.denied
                    .lock()
                    .expect("no panic while holding the lock")
                    .push(denial.clone());
                return Err(denial.into());
            }
        }
        Ok(())
    }
}

/// An S3 client for the emulator, which serves buckets by path (`/{bucket}/{key}`), not by
/// host name; with `enforcer`, a function's.
pub fn s3_client(config: &aws_config::SdkConfig, enforcer: Option<Enforcer>) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config).force_path_style(true);
    if let Some(enforcer) = enforcer {
        builder = builder.interceptor(enforcer);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The SDK clients of one function, each refusing what the function's policy does not
/// allow; its DynamoDB writes go to a [`WriteLog`] too.
#[derive(Debug, Clone)]
pub struct FunctionClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub iot: aws_sdk_iot::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub s3: aws_sdk_s3::Client,
}

impl FunctionClients {
    pub fn new(
        function: &'static str,
        config: &aws_config::SdkConfig,
        names: &Names,
        denied: &Denials,
        writes: WriteLog,
    ) -> anyhow::Result<FunctionClients> {
        let enforcer = Enforcer::new(function, names, denied.clone())?;
        Ok(FunctionClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(config)
                    .interceptor(enforcer.clone())
                    .interceptor(writes)
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(config)
                    .interceptor(enforcer.clone())
                    .build(),
            ),
            ses: aws_sdk_sesv2::Client::from_conf(
                aws_sdk_sesv2::config::Builder::from(config)
                    .interceptor(enforcer.clone())
                    .build(),
            ),
            iot: aws_sdk_iot::Client::from_conf(
                aws_sdk_iot::config::Builder::from(config)
                    .interceptor(enforcer.clone())
                    .build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(config)
                    .interceptor(enforcer.clone())
                    .build(),
            ),
            s3: s3_client(config, Some(enforcer)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            stack: "local".into(),
            refs: vec![
                ("RegistryTable", "reg".into()),
                ("TokenKeyParameter", "/fieldcloud/token-key".into()),
            ],
            arns: vec![(
                "RegistryTable",
                "arn:aws:dynamodb:us-east-1:123456789012:table/reg".into(),
            )],
        }
    }

    #[test]
    fn wildcards_match_as_in_iam() {
        assert!(matches(
            "arn:aws:iot:*:*:thing/local:*",
            "arn:aws:iot:r:1:thing/local:acme:gw"
        ));
        assert!(!matches(
            "arn:aws:iot:*:*:thing/local:*",
            "arn:aws:iot:r:1:thing/prod:acme:gw"
        ));
        assert!(matches("dynamodb:Get?tem", "dynamodb:GetItem"));
        assert!(matches("*", "anything"));
        assert!(!matches("dynamodb:GetItem", "dynamodb:GetItems"));
    }

    #[test]
    fn substitutions_resolve_to_local_names() {
        let names = names();
        assert_eq!(
            names.resolve_sub("${RegistryTable.Arn}/index/*").unwrap(),
            "arn:aws:dynamodb:us-east-1:123456789012:table/reg/index/*"
        );
        assert_eq!(
            names
                .resolve_sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TokenKeyParameter}")
                .unwrap(),
            "arn:aws:ssm:us-east-1:123456789012:parameter/fieldcloud/token-key"
        );
        assert_eq!(
            names.resolve_sub("client/${!iot:ClientId}").unwrap(),
            "client/${iot:ClientId}"
        );
        assert!(names.resolve_sub("${Unknown}").is_err());
    }

    #[test]
    fn a_transaction_needs_each_of_its_parts_and_a_query_its_index() {
        let names = names();
        let body = br#"{"TransactItems": [{"ConditionCheck": {"TableName": "reg"}}, {"Put": {"TableName": "reg"}}]}"#;
        let parts = needed(&names, "DynamoDB", "TransactWriteItems", "/", None, body).unwrap();
        let actions: Vec<&str> = parts.iter().map(|n| n.action.as_str()).collect();
        assert_eq!(actions, ["dynamodb:ConditionCheckItem", "dynamodb:PutItem"]);
        let body = br#"{"TableName": "reg", "IndexName": "byGroup"}"#;
        let query = needed(&names, "DynamoDB", "Query", "/", None, body).unwrap();
        assert_eq!(
            query[0].resource,
            "arn:aws:dynamodb:us-east-1:123456789012:table/reg/index/byGroup"
        );
    }

    #[test]
    fn iot_calls_name_their_thing_or_certificate() {
        let names = names();
        let thing = needed(
            &names,
            "IoT",
            "CreateThing",
            "/things/local%3Aacme%3Agw",
            None,
            b"{}",
        )
        .unwrap();
        assert_eq!(
            thing[0].resource,
            "arn:aws:iot:us-east-1:123456789012:thing/local:acme:gw"
        );
        let cert = needed(
            &names,
            "IoT",
            "UpdateCertificate",
            "/certificates/abc?newStatus=INACTIVE",
            None,
            b"",
        )
        .unwrap();
        assert_eq!(
            cert[0].resource,
            "arn:aws:iot:us-east-1:123456789012:cert/abc"
        );
        let new = needed(
            &names,
            "IoT",
            "CreateKeysAndCertificate",
            "/keys-and-certificate",
            None,
            b"",
        )
        .unwrap();
        assert_eq!(new[0].resource, "*");
        let certificate = "arn:aws:iot:us-east-1:123456789012:cert/abc";
        let attach = needed(
            &names,
            "IoT",
            "AttachThingPrincipal",
            "/things/local%3Aacme%3Agw/principals",
            Some(certificate),
            b"",
        )
        .unwrap();
        let resources: Vec<&str> = attach.iter().map(|n| n.resource.as_str()).collect();
        assert_eq!(
            resources,
            [
                "arn:aws:iot:us-east-1:123456789012:thing/local:acme:gw",
                certificate
            ]
        );
    }
}
