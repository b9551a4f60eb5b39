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
    use fieldcloud::domain::iot_thing::Stack;
    use fieldcloud::domain::protocol::{rule_sql, RECORDS_TOPIC_FILTER};
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

    #[test]
    fn template_rule_is_the_one_the_emulator_emulates() {
        let rule = resource_properties("IngestRule").unwrap();
        // `!Sub "…${AWS::StackName}…"`: the stack's name goes into the SQL.
        let serde_norway::Value::Tagged(sub) = &rule["TopicRulePayload"]["Sql"] else {
            panic!("the rule's SQL is a !Sub of the stack name");
        };
        assert_eq!(sub.tag, "Sub");
        let stack = Stack::parse("my-stack").unwrap();
        let sql = sub
            .value
            .as_str()
            .unwrap()
            .replace("${AWS::StackName}", stack.as_str());
        assert_eq!(sql, rule_sql(&stack));
        assert!(sql.contains(&format!("FROM '{RECORDS_TOPIC_FILTER}'")));
        assert!(sql.contains("principal() AS principal"));
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
}
