//! Fuzzes the device protocol: any bytes, as the IoT rule would hand them over, are
//! either refused or parsed without a panic, and every record accepted, written back as
//! a device would send it, parses to the very same record (numbers bit for bit).

#![no_main]

use fieldcloud::domain::protocol::{parse_event, RuleEvent};
use fieldcloud::domain::record::{Millis, Record, Value};
use libfuzzer_sys::fuzz_target;

/// A receive time late enough that fuzzed record times are rarely in its future.
const RECEIVED_AT: Millis = Millis(4_000_000_000_000);

fn wire(record: &Record) -> serde_json::Value {
    let values: serde_json::Map<String, serde_json::Value> = record
        .values
        .iter()
        .map(|(channel, value)| {
            let value = match value {
                Value::Number(x) => serde_json::json!(x),
                Value::Special(special) => serde_json::json!(special.as_str()),
            };
            (channel.as_str().to_owned(), value)
        })
        .collect();
    serde_json::json!({ "instrument": record.instrument.as_str(), "t": record.t.0, "values": values })
}

fn same(a: &Record, b: &Record) -> bool {
    a.instrument == b.instrument
        && a.t == b.t
        && a.values.len() == b.values.len()
        && a.values.iter().zip(&b.values).all(|((ca, va), (cb, vb))| {
            ca == cb
                && match (va, vb) {
                    (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
                    _ => va == vb,
                }
        })
}

fuzz_target!(|bytes: &[u8]| {
    let event = RuleEvent::new("local:acme:gw", None, bytes, RECEIVED_AT);
    let Ok(batch) = parse_event(&event) else {
        return;
    };
    for record in &batch.records {
        let again = serde_json::json!({ "records": [wire(record)] }).to_string();
        let event = RuleEvent::new("local:acme:gw", None, again.as_bytes(), RECEIVED_AT);
        let reparsed = parse_event(&event).expect("a record written back is a batch");
        assert_eq!(reparsed.rejected.len(), 0, "{again}: {:?}", reparsed.rejected);
        assert!(same(record, &reparsed.records[0]), "{again}");
    }
});
