//! The SAM template, read by the local cloud: what it declares is what the emulator
//! builds, and what AWS alone can enforce (throttling, reserved concurrency) is checked
//! here as declared.

use anyhow::{anyhow, Context};

/// The SAM template, compiled in.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

/// The `Properties` of `Resources.{logical_id}` in the template.
pub fn resource_properties(logical_id: &str) -> anyhow::Result<serde_norway::Value> {
    let template: serde_norway::Value =
        serde_norway::from_str(TEMPLATE).context("parsing template.yaml")?;
    template
        .get("Resources")
        .and_then(|r| r.get(logical_id))
        .and_then(|r| r.get("Properties"))
        .cloned()
        .ok_or_else(|| anyhow!("template.yaml has no Resources.{logical_id}.Properties"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcloud::domain::app_status::{presence_rule_sql, DEFAULT_SILENCE_MILLIS};
    use fieldcloud::domain::iot_thing::Stack;
    use fieldcloud::domain::presence::CONNECTED_WITHIN_MILLIS;
    use fieldcloud::domain::protocol::{rule_sql, RECORDS_TOPIC_FILTER};
    use fieldcloud::domain::record::Millis;
    use serde_norway::Value;

    fn parameter(name: &str) -> Value {
        let template: Value = serde_norway::from_str(TEMPLATE).unwrap();
        template["Parameters"][name].clone()
    }

    /// The `!Ref`, `!If`, `!Sub`… of a property: its tag and its value.
    fn intrinsic(value: &Value) -> (String, Value) {
        match value {
            Value::Tagged(tagged) => (
                tagged.tag.to_string().trim_start_matches('!').to_owned(),
                tagged.value.clone(),
            ),
            other => panic!("expected an intrinsic function, got {other:?}"),
        }
    }

    /// The SQL of the topic rule `id`, for the stack `stack`.
    fn rule_sql_of(id: &str, stack: &Stack) -> String {
        let rule = resource_properties(id).unwrap();
        // `!Sub "…${AWS::StackName}…"`: the stack's name goes into the SQL.
        let serde_norway::Value::Tagged(sub) = &rule["TopicRulePayload"]["Sql"] else {
            panic!("the rule's SQL is a !Sub of the stack name");
        };
        assert_eq!(sub.tag, "Sub");
        sub.value
            .as_str()
            .unwrap()
            .replace("${AWS::StackName}", stack.as_str())
    }

    #[test]
    fn the_silence_defaults_to_what_the_api_calls_connected_and_goes_no_lower() {
        let silence = parameter("AppSilenceMinutes");
        let minutes = |key: &str| silence[key].as_i64().unwrap() * Millis::MINUTE;
        assert_eq!(minutes("Default"), DEFAULT_SILENCE_MILLIS);
        assert_eq!(minutes("MinValue"), CONNECTED_WITHIN_MILLIS);
    }

    #[test]
    fn template_presence_rule_is_the_one_the_relay_emulates() {
        let stack = Stack::parse("my-stack").unwrap();
        assert_eq!(
            rule_sql_of("PresenceRule", &stack),
            presence_rule_sql(&stack)
        );
    }

    #[test]
    fn template_rule_is_the_one_the_emulator_emulates() {
        let stack = Stack::parse("my-stack").unwrap();
        let sql = rule_sql_of("IngestRule", &stack);
        assert_eq!(sql, rule_sql(&stack));
        assert!(sql.contains(&format!("FROM '{RECORDS_TOPIC_FILTER}'")));
        assert!(sql.contains("principal() AS principal"));
    }

    /// The resources of the template of type `kind`: logical ID and properties.
    fn resources_of(kind: &str) -> Vec<(String, Value)> {
        let template: Value = serde_norway::from_str(TEMPLATE).unwrap();
        template["Resources"]
            .as_mapping()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .map(|(id, r)| (id.as_str().unwrap().to_owned(), r["Properties"].clone()))
            .collect()
    }

    #[test]
    fn every_function_and_every_queue_of_failures_has_an_alarm_for_the_operator() {
        let alarms = resources_of("AWS::CloudWatch::Alarm");
        let watched = |metric: &str, dimension: &str| -> Vec<Value> {
            alarms
                .iter()
                .filter(|(_, a)| a["MetricName"].as_str() == Some(metric))
                .map(|(id, a)| {
                    let (function, arguments) = intrinsic(&a["AlarmActions"]);
                    assert_eq!(function, "If", "{id} notifies only when a topic is given");
                    assert_eq!(arguments[0], Value::from("NotifiesOperator"), "{id}");
                    assert_eq!(
                        arguments[1][0],
                        intrinsic_value("Ref", "AlarmTopicArn"),
                        "{id}"
                    );
                    let dimension_of = &a["Dimensions"][0];
                    assert_eq!(dimension_of["Name"], Value::from(dimension), "{id}");
                    dimension_of["Value"].clone()
                })
                .collect()
        };
        let failing_functions = watched("Errors", "FunctionName");
        for (function, _) in resources_of("AWS::Serverless::Function") {
            assert!(
                failing_functions.contains(&intrinsic_value("Ref", &function)),
                "{function} has no Errors alarm"
            );
        }
        // The queues failures end up in: every dead-letter target, and the error queue of
        // ingest's failed invocations and the IoT rule's errors.
        let mut failure_queues = vec!["IngestErrorQueue".to_owned()];
        for (_, queue) in resources_of("AWS::SQS::Queue") {
            if let Value::Tagged(target) = &queue["RedrivePolicy"]["deadLetterTargetArn"] {
                let arn = target.value.as_str().unwrap();
                failure_queues.push(arn.trim_end_matches(".Arn").to_owned());
            }
        }
        // And where a stream's event source gives up on a batch.
        for (_, function) in resources_of("AWS::Serverless::Function") {
            for (_, event) in function["Events"].as_mapping().into_iter().flatten() {
                let destination = &event["Properties"]["DestinationConfig"]["OnFailure"];
                if let Value::Tagged(target) = &destination["Destination"] {
                    let arn = target.value.as_str().unwrap();
                    failure_queues.push(arn.trim_end_matches(".Arn").to_owned());
                }
            }
        }
        // An error the api answers (503 with IoT Core or DynamoDB unavailable, say) is no
        // failure of the function: API Gateway counts it.
        assert_eq!(
            watched("5xx", "ApiId"),
            vec![intrinsic_value("Ref", "HttpApi")],
            "the API's server errors have an alarm"
        );
        let waiting = watched("ApproximateNumberOfMessagesVisible", "QueueName");
        for queue in failure_queues {
            assert!(
                waiting.contains(&intrinsic_value("GetAtt", &format!("{queue}.QueueName"))),
                "{queue} has no alarm on waiting messages"
            );
        }
    }

    fn intrinsic_value(tag: &str, value: &str) -> Value {
        Value::Tagged(Box::new(serde_norway::value::TaggedValue {
            tag: serde_norway::value::Tag::new(tag),
            value: Value::from(value),
        }))
    }

    #[test]
    fn the_http_api_is_throttled_for_all_clients_together() {
        let api = resource_properties("HttpApi").unwrap();
        let settings = &api["DefaultRouteSettings"];
        for (property, name, default) in [
            ("ThrottlingRateLimit", "ApiThrottleRate", 50),
            ("ThrottlingBurstLimit", "ApiThrottleBurst", 100),
        ] {
            assert_eq!(
                intrinsic(&settings[property]),
                ("Ref".into(), Value::from(name))
            );
            assert_eq!(parameter(name)["Default"], Value::from(default), "{name}");
        }
    }

    #[test]
    fn ingest_concurrency_is_reserved_only_when_the_operator_asks() {
        assert_eq!(
            parameter("IngestReservedConcurrency")["Default"],
            Value::from(0)
        );
        let ingest = resource_properties("IngestFunction").unwrap();
        let (function, arguments) = intrinsic(&ingest["ReservedConcurrentExecutions"]);
        assert_eq!(function, "If");
        assert_eq!(arguments[0], Value::from("ReservesIngestConcurrency"));
        assert_eq!(
            intrinsic(&arguments[1]),
            ("Ref".into(), Value::from("IngestReservedConcurrency"))
        );
        assert_eq!(
            intrinsic(&arguments[2]),
            ("Ref".into(), Value::from("AWS::NoValue"))
        );
        let template: Value = serde_norway::from_str(TEMPLATE).unwrap();
        let (not, _) = intrinsic(&template["Conditions"]["ReservesIngestConcurrency"]);
        assert_eq!(not, "Not", "a reservation only when the parameter is not 0");
    }

    #[test]
    fn cloudfront_sends_the_portal_the_content_security_policy_the_local_cloud_does() {
        let policy = resource_properties("PortalSecurityHeaders").unwrap();
        let (sub, text) = intrinsic(
            &policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
                ["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        );
        assert_eq!(sub, "Sub");
        let bucket = "https://${FilesBucket}.s3.${AWS::Region}.${AWS::URLSuffix}";
        let directives = |policy: &str| -> Vec<String> {
            policy
                .split(';')
                .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect()
        };
        assert_eq!(
            directives(text.as_str().unwrap()),
            directives(&crate::portal::content_security_policy(&[bucket]))
        );
    }

    #[test]
    fn the_distribution_passes_the_viewers_address_and_its_secret_as_the_api_reads_them() {
        let function = resource_properties("ApiViewerAddressFunction").unwrap();
        let code = function["FunctionCode"].as_str().unwrap();
        assert!(
            code.contains(&format!(
                "request.headers[\"{}\"]",
                api::edge::VIEWER_ADDRESS_HEADER
            )),
            "{code}"
        );
        let distribution = resource_properties("PortalDistribution").unwrap();
        let config = &distribution["DistributionConfig"];
        let api_origin = config["Origins"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|origin| origin["Id"] == "api")
            .unwrap();
        let secret = &api_origin["OriginCustomHeaders"][0];
        assert_eq!(secret["HeaderName"], api::edge::EDGE_SECRET_HEADER);
        assert_eq!(
            intrinsic(&secret["HeaderValue"]),
            ("Ref".into(), Value::from("EdgeSecret"))
        );
        // Every path that reaches the API has its address written by the function: none
        // lets a client's own header through.
        for behaviour in config["CacheBehaviors"].as_sequence().unwrap() {
            if behaviour["TargetOriginId"] != "api" {
                continue;
            }
            let association = &behaviour["FunctionAssociations"][0];
            assert_eq!(association["EventType"], "viewer-request");
            let (_, arn) = intrinsic(&association["FunctionARN"]);
            assert_eq!(
                arn,
                Value::from("ApiViewerAddressFunction.FunctionMetadata.FunctionARN"),
                "{:?}",
                behaviour["PathPattern"]
            );
        }
    }
}
