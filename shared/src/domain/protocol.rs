//! Device protocol v1: what an app publishes and what the IoT rule hands to `ingest`.
//!
//! Apps publish JSON to `fieldcloud/v1/{thing}/records`, `{thing}` being the app's IoT
//! thing name (`{stack}:{account}:{app}`, see [`super::iot_thing`]):
//! `{"records": [{"instrument": "LR8450-01", "t": 1763713200000, "values": {"CH1": 21.5, "CH2": "+OVER"}}]}`.
//! The IoT rule (`template.yaml`) wraps the raw bytes with the thing name from the topic
//! and the broker's receive time; the local cloud builds the same envelope.
//!
//! Parsing is two-level on purpose: a message that is not a batch at all is refused
//! whole, but inside a batch each record stands alone, so one bad record never sinks
//! the good records sent with it.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::ids::{ChannelName, InstrumentSerial};
use super::iot_thing::{IotThing, Stack};
use super::record::{Millis, Record, Special, Value};

/// IoT Core's own message size limit; anything larger cannot be a real device message.
pub const MAX_PAYLOAD_BYTES: usize = 128 * 1024;
/// Instrument clocks drift; a record further ahead of the receive time than this is a
/// broken clock, and storing it would pin "latest" values in the future.
pub const MAX_FUTURE_SKEW_MILLIS: i64 = 10 * Millis::MINUTE;
/// Records before this (2000-01-01T00:00:00Z) come from an instrument whose clock was
/// never set.
pub const EARLIEST_RECORD: Millis = Millis(946_684_800_000);

/// The topic an app publishes records on.
pub fn records_topic(thing: &IotThing) -> String {
    format!("fieldcloud/v1/{thing}/records")
}

/// The topic filter the IoT rule subscribes to.
pub const RECORDS_TOPIC_FILTER: &str = "fieldcloud/v1/+/records";

/// The IoT rule's SQL for `stack`. `template.yaml` declares exactly this (a local-cloud
/// test checks), and the local rule emulator builds the [`RuleEvent`] it describes.
/// Every stack in an AWS account sees every records topic, so the rule takes only its
/// own stack's things; `principal()` is the certificate the message was sent with.
pub fn rule_sql(stack: &Stack) -> String {
    format!(
        "SELECT encode(*, 'base64') AS payload, topic(3) AS thing, principal() AS principal, timestamp() AS received_at FROM '{RECORDS_TOPIC_FILTER}' WHERE startswith(topic(3), '{stack}:')",
        stack = stack.as_str()
    )
}

/// The thing name in a records topic (the rule's `topic(3)`).
pub fn thing_of_topic(topic: &str) -> Option<&str> {
    let mut parts = topic.split('/');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("fieldcloud"), Some("v1"), Some(thing), Some("records"), None) => Some(thing),
        _ => None,
    }
}

/// What the IoT rule invokes `ingest` with (see [`rule_sql`]). The payload stays opaque
/// bytes so that `ingest` itself can report malformed JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleEvent {
    pub payload: String,
    pub thing: String,
    /// The ID of the certificate the app connected with. Always set by IoT Core; the
    /// local broker authenticates no one, and leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub received_at: i64,
}

impl RuleEvent {
    pub fn new(
        thing: &str,
        principal: Option<&str>,
        payload: &[u8],
        received_at: Millis,
    ) -> RuleEvent {
        RuleEvent {
            payload: base64::engine::general_purpose::STANDARD.encode(payload),
            thing: thing.to_owned(),
            principal: principal.map(str::to_owned),
            received_at: received_at.0,
        }
    }
}

/// Why a whole message was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MessageError {
    #[error("payload is not valid base64: {0}")]
    Encoding(String),
    #[error("payload is {size} bytes; at most {MAX_PAYLOAD_BYTES} are accepted")]
    TooLarge { size: usize },
    #[error("payload is not JSON: {0}")]
    MalformedJson(String),
    #[error("payload must be an object with a `records` array: {0}")]
    NotABatch(String),
}

/// Why one record of a batch was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("record {index}: {reason}")]
pub struct RecordError {
    pub index: usize,
    pub reason: String,
}

/// A message after parsing: when it arrived, the records that passed validation and the
/// reasons the others did not.
#[derive(Debug)]
pub struct Batch {
    pub received_at: Millis,
    pub records: Vec<Record>,
    pub rejected: Vec<RecordError>,
}

/// Records stay raw text until each is parsed on its own: a record that does not parse
/// (a number beyond `f64`, say) is refused alone, never the batch around it.
#[derive(Deserialize)]
struct WireBatch {
    records: Vec<Box<serde_json::value::RawValue>>,
}

/// Parses a rule event into a batch of valid records and a list of rejected ones.
pub fn parse_event(event: &RuleEvent) -> Result<Batch, MessageError> {
    // Base64 of the IoT limit is a third larger; refuse before decoding anything bigger.
    if event.payload.len() > MAX_PAYLOAD_BYTES / 3 * 4 + 4 {
        return Err(MessageError::TooLarge {
            size: event.payload.len() / 4 * 3,
        });
    }
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&event.payload)
        .map_err(|e| MessageError::Encoding(e.to_string()))?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(MessageError::TooLarge {
            size: payload.len(),
        });
    }
    let wire: WireBatch = serde_json::from_slice(&payload).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => MessageError::NotABatch(e.to_string()),
        _ => MessageError::MalformedJson(e.to_string()),
    })?;
    let received_at = Millis(event.received_at);
    let mut records = Vec::with_capacity(wire.records.len());
    let mut rejected = Vec::new();
    for (index, raw) in wire.records.into_iter().enumerate() {
        let parsed = serde_json::from_str(raw.get())
            .map_err(|e| format!("does not parse: {e}"))
            .and_then(|raw| parse_record(&raw, received_at));
        match parsed {
            Ok(record) => records.push(record),
            Err(reason) => rejected.push(RecordError { index, reason }),
        }
    }
    Ok(Batch {
        received_at,
        records,
        rejected,
    })
}

fn parse_record(raw: &serde_json::Value, received_at: Millis) -> Result<Record, String> {
    let object = raw
        .as_object()
        .ok_or_else(|| format!("must be an object, got {}", json_kind(raw)))?;
    if let Some(unknown) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "instrument" | "t" | "values"))
    {
        return Err(format!(
            "unknown field `{unknown}`; a record has `instrument`, `t` and `values`"
        ));
    }
    let instrument = match object.get("instrument") {
        Some(serde_json::Value::String(s)) => {
            InstrumentSerial::parse(s.clone()).map_err(|e| format!("`instrument`: {e}"))?
        }
        Some(other) => {
            return Err(format!(
                "`instrument` must be a string, got {}",
                json_kind(other)
            ))
        }
        None => return Err("`instrument` is missing".into()),
    };
    let t = match object.get("t") {
        Some(serde_json::Value::Number(n)) => n.as_i64().map(Millis).ok_or_else(|| {
            format!("`t` must be whole milliseconds since 1970-01-01T00:00:00Z, got {n}")
        })?,
        Some(other) => {
            return Err(format!(
                "`t` must be milliseconds since the epoch (a whole number), got {}",
                json_kind(other)
            ))
        }
        None => return Err("`t` is missing".into()),
    };
    if t < EARLIEST_RECORD {
        return Err(format!(
            "`t` {} is before 2000-01-01; is the instrument clock set?",
            t.0
        ));
    }
    let latest_allowed = received_at.plus(MAX_FUTURE_SKEW_MILLIS);
    if t > latest_allowed {
        return Err(format!(
            "`t` {} is {} s ahead of the receive time {}; at most {} s are accepted",
            t.0,
            (t.0 - received_at.0) / Millis::SECOND,
            received_at.0,
            MAX_FUTURE_SKEW_MILLIS / Millis::SECOND
        ));
    }
    let values = match object.get("values") {
        Some(serde_json::Value::Object(map)) => map,
        Some(other) => {
            return Err(format!(
                "`values` must be an object, got {}",
                json_kind(other)
            ))
        }
        None => return Err("`values` is missing".into()),
    };
    if values.is_empty() {
        return Err("`values` is empty".into());
    }
    // No count of channels is refused here: the payload limit bounds them, and ingest
    // stores what the instrument's plan allows and reports the rest, as for any record.
    let mut parsed = Vec::with_capacity(values.len());
    for (name, value) in values {
        let channel = ChannelName::parse(name.clone()).map_err(|e| format!("`values`: {e}"))?;
        let value = parse_value(value).map_err(|e| format!("`values.{name}`: {e}"))?;
        parsed.push((channel, value));
    }
    Ok(Record {
        instrument,
        t,
        values: parsed,
    })
}

fn parse_value(raw: &serde_json::Value) -> Result<Value, String> {
    match raw {
        serde_json::Value::Number(n) => n
            .as_f64()
            .and_then(Value::finite)
            .ok_or_else(|| format!("{n} is not a finite number")),
        serde_json::Value::String(s) => Special::parse(s).map(Value::Special).ok_or_else(|| {
            format!("\"{s}\" is neither a number nor one of +OVER, -OVER, BURNOUT, ERROR")
        }),
        other => Err(format!(
            "must be a number or a special value, got {}",
            json_kind(other)
        )),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = Millis(1_763_713_200_000);

    fn event(payload: &str) -> RuleEvent {
        RuleEvent::new("gw-1", None, payload.as_bytes(), NOW)
    }

    #[test]
    fn parses_numbers_and_special_values() {
        let batch = parse_event(&event(
            r#"{"records":[{"instrument":"LR-1","t":1763713200000,"values":{"CH1":21.5,"CH2":"+OVER","CH3":-3}}]}"#,
        ))
        .unwrap();
        assert!(batch.rejected.is_empty());
        let record = &batch.records[0];
        assert_eq!(record.instrument.as_str(), "LR-1");
        assert_eq!(record.t, NOW);
        assert_eq!(record.values.len(), 3);
        assert!(record
            .values
            .iter()
            .any(|(c, v)| c.as_str() == "CH2" && *v == Value::Special(Special::PlusOver)));
    }

    #[test]
    fn malformed_json_is_refused_whole() {
        let err = parse_event(&event(r#"{"records":[{"instrument":"#)).unwrap_err();
        assert!(matches!(err, MessageError::MalformedJson(_)), "{err}");
        let err = parse_event(&event(r#"{"records":[{"instrument":NaN}]}"#)).unwrap_err();
        assert!(matches!(err, MessageError::MalformedJson(_)), "{err}");
    }

    #[test]
    fn a_message_without_a_records_array_is_not_a_batch() {
        let err = parse_event(&event(r#"[1,2]"#)).unwrap_err();
        assert!(matches!(err, MessageError::NotABatch(_)), "{err}");
        let err = parse_event(&event(r#"{"records":{}}"#)).unwrap_err();
        assert!(matches!(err, MessageError::NotABatch(_)), "{err}");
    }

    #[test]
    fn oversize_payload_is_refused_before_parsing() {
        let big = format!(
            r#"{{"records":[],"pad":"{}"}}"#,
            "x".repeat(MAX_PAYLOAD_BYTES)
        );
        let err = parse_event(&event(&big)).unwrap_err();
        assert!(matches!(err, MessageError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn bad_records_are_rejected_with_reasons_and_good_ones_kept() {
        let batch = parse_event(&event(
            r#"{"records":[
                {"instrument":"LR-1","t":1763713200000,"values":{"CH1":1}},
                {"instrument":"LR-1","t":"yesterday","values":{"CH1":1}},
                {"instrument":"LR-1","t":1763713200000,"values":{"CH1":"NaN"}},
                {"instrument":"LR-1","t":1763713200000,"values":{"CH1":1e999}},
                {"instrument":"LR-1","t":1763713200000,"values":{"CH1":true}},
                {"instrument":"LR-1","t":1763714400000,"values":{"CH1":1}},
                {"instrument":"bad/serial","t":1763713200000,"values":{"CH1":1}},
                {"instrument":"LR-1","t":1763713200000,"values":{}},
                {"instrument":"LR-1","t":1763713200000.5,"values":{"CH1":1}},
                {"instrument":"LR-1","t":1763713200001,"values":{"CH1":2},"extra":1},
                {"instrument":"LR-1","t":1763713260000,"values":{"CH1":3}}
            ]}"#,
        ));
        let batch = batch.expect("a number beyond f64 sinks its record, not the batch");
        assert_eq!(
            batch.records.iter().map(|r| r.t.0).collect::<Vec<_>>(),
            vec![1_763_713_200_000, 1_763_713_260_000]
        );
        let reasons: Vec<String> = batch.rejected.iter().map(|e| e.to_string()).collect();
        assert_eq!(batch.rejected.len(), 9, "{reasons:#?}");
        assert!(reasons[0].starts_with("record 1: `t` must be milliseconds"));
        assert!(reasons[1].contains("\"NaN\" is neither a number"));
        assert!(reasons[2].starts_with("record 3: does not parse: number out of range"));
        assert!(reasons[3].contains("got a boolean"));
        assert!(reasons[4].contains("ahead of the receive time"));
        assert!(reasons[5].contains("instrument serial `bad/serial` is invalid"));
        assert!(reasons[6].contains("`values` is empty"));
        assert!(reasons[7].contains("whole milliseconds"));
        assert!(reasons[8].contains("unknown field `extra`"));

        let batch = parse_event(&event(
            r#"{"records":[
                {"instrument":"LR-1","t":1763713200000,"values":{"CH1":1}},
                "not a record"
            ]}"#,
        ))
        .unwrap();
        assert_eq!(batch.records.len(), 1);
        assert!(batch.rejected[0]
            .to_string()
            .starts_with("record 1: must be an object, got a string"));
    }

    #[test]
    fn a_record_of_any_number_of_channels_is_parsed_for_ingest_to_bound() {
        let values: Vec<String> = (0..1200).map(|i| format!(r#""CH{i}":{i}"#)).collect();
        let payload = format!(
            r#"{{"records":[{{"instrument":"LOGGER","t":1763713200000,"values":{{{}}}}}]}}"#,
            values.join(",")
        );
        let batch = parse_event(&event(&payload)).unwrap();
        assert_eq!(batch.records[0].values.len(), 1200);
    }

    proptest::proptest! {
        #[test]
        fn any_finite_f64_in_its_shortest_form_parses_bit_exact(bits in proptest::num::u64::ANY) {
            let x = f64::from_bits(bits);
            proptest::prop_assume!(x.is_finite());
            // `{}` prints the shortest text that reads back as the same f64.
            let payload = format!(
                r#"{{"records":[{{"instrument":"A","t":1763713200000,"values":{{"c":{x}}}}}]}}"#
            );
            let batch = parse_event(&event(&payload)).unwrap();
            let Value::Number(parsed) = batch.records[0].values[0].1 else {
                panic!("a number");
            };
            proptest::prop_assert_eq!(parsed.to_bits(), x.to_bits(), "{} came back as {}", x, parsed);
        }
    }

    #[test]
    fn a_number_that_was_one_ulp_off_parses_exactly() {
        let payload = r#"{"records":[{"instrument":"A","t":1763713200000,"values":{"c":-384.15985831764715}}]}"#;
        let batch = parse_event(&event(payload)).unwrap();
        assert_eq!(
            batch.records[0].values[0].1,
            Value::Number(-384.15985831764715)
        );
    }

    #[test]
    fn a_record_exactly_at_the_future_limit_is_accepted() {
        let at_limit = NOW.plus(MAX_FUTURE_SKEW_MILLIS).0;
        let payload = format!(
            r#"{{"records":[{{"instrument":"A","t":{at_limit},"values":{{"c":1}}}},{{"instrument":"A","t":{},"values":{{"c":1}}}}]}}"#,
            at_limit + 1
        );
        let batch = parse_event(&event(&payload)).unwrap();
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.rejected.len(), 1);
    }

    #[test]
    fn topic_gives_the_thing_name_only_for_the_records_topic() {
        assert_eq!(thing_of_topic("fieldcloud/v1/gw-1/records"), Some("gw-1"));
        assert_eq!(thing_of_topic("fieldcloud/v1/gw-1/records/x"), None);
        assert_eq!(thing_of_topic("other/v1/gw-1/records"), None);
    }
}
