//! The records table's change stream as Lambda hands it to a function: each change's
//! item key, sequence number and the item's size before and after, as [`DataChange`]s,
//! with the hour of each record newly stored. The images come in DynamoDB's JSON
//! (`{"S": "…"}`, binary as base64), and an item's size is what DynamoDB bills for it
//! ([`item_size`]).

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::chunks::{object_size, released_object, CHUNK_KEY_SUFFIX};
use super::item_size::item_size;
use super::schema::{RECORDS_KEY, RECORD_EXPIRY_ATTRIBUTE};
use super::values::Item;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::is_rollups_key;
use crate::domain::usage::{DataChange, DataItem, StreamPosition};

/// A batch of the stream, as Lambda's event source mapping delivers it.
#[derive(Debug, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records")]
    pub records: Vec<StreamRecord>,
}

/// One change. Fields Lambda adds and the count does not need are left unread.
#[derive(Debug, Deserialize)]
pub struct StreamRecord {
    #[serde(rename = "eventName")]
    pub event_name: String,
    pub dynamodb: StreamChange,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamChange {
    pub keys: Map<String, Value>,
    pub sequence_number: String,
    #[serde(default)]
    pub new_image: Option<Map<String, Value>>,
    #[serde(default)]
    pub old_image: Option<Map<String, Value>>,
}

impl StreamRecord {
    /// The change to the data bytes this record tells of; an error names what in it is
    /// not a change of a records-table item (or not in the view the table streams).
    pub fn data_change(&self) -> Result<DataChange, String> {
        let change = &self.dynamodb;
        let key = match change.keys.get(RECORDS_KEY[0]) {
            Some(Value::Object(value)) => match value.get("S") {
                Some(Value::String(key)) => InstrumentKey::from_stored(key.clone()),
                _ => return Err(format!("key `{}` is not a string", RECORDS_KEY[0])),
            },
            _ => return Err(format!("no key `{}`", RECORDS_KEY[0])),
        };
        let position = StreamPosition::parse(&change.sequence_number)?;
        let chunks_of = key.as_str().strip_suffix(CHUNK_KEY_SUFFIX);
        let charged = |image: &Option<Map<String, Value>>, which: &str| {
            let Some(image) = image else {
                return Err(format!(
                    "no {which} image: the stream must be NEW_AND_OLD_IMAGES"
                ));
            };
            let item = item(image)?;
            let kind = match chunks_of {
                Some(key) if is_rollups_key(&InstrumentKey::from_stored(key.into())) => {
                    DataItem::Rollup
                }
                Some(_) => DataItem::Chunk,
                None if item.contains_key(RECORD_EXPIRY_ATTRIBUTE) => DataItem::ExpiringRecord,
                None => DataItem::KeptRecord,
            };
            // A chunk kept in the history bucket is charged its object's bytes too.
            Ok(kind.charged(item_size(&item) as i64 + object_size(&item)))
        };
        let bytes = match self.event_name.as_str() {
            "INSERT" => charged(&change.new_image, "new")?,
            "MODIFY" => charged(&change.new_image, "new")? - charged(&change.old_image, "old")?,
            "REMOVE" => -charged(&change.old_image, "old")?,
            other => return Err(format!("unknown event `{other}`")),
        };
        let released = match (chunks_of, self.event_name.as_str()) {
            (Some(chunks_of), "MODIFY" | "REMOVE") => {
                let image =
                    |image: &Option<Map<String, Value>>| image.as_ref().map(item).transpose();
                let (old, new) = (image(&change.old_image)?, image(&change.new_image)?);
                old.and_then(|old| released_object(chunks_of, &old, new.as_ref()))
            }
            _ => None,
        };
        // A time that is no whole number (the table's key allows any number) marks no
        // hour, and its bytes count all the same.
        let stored_hour = (self.event_name == "INSERT" && chunks_of.is_none())
            .then(|| record_time(&change.keys))
            .flatten()
            .map(Millis::start_of_hour);
        Ok(DataChange {
            key,
            position,
            bytes,
            stored_hour,
            released,
        })
    }
}

/// A record's time, from its item's key, if it is a whole number.
fn record_time(keys: &Map<String, Value>) -> Option<Millis> {
    keys.get(RECORDS_KEY[1])
        .and_then(|value| value.get("N"))
        .and_then(Value::as_str)
        .and_then(|number| number.parse().ok())
        .map(Millis)
}

/// An image in DynamoDB's JSON, as the SDK's item.
fn item(image: &Map<String, Value>) -> Result<Item, String> {
    image
        .iter()
        .map(|(name, value)| {
            Ok((
                name.clone(),
                attribute(value).map_err(|e| format!("{name}: {e}"))?,
            ))
        })
        .collect()
}

fn attribute(value: &Value) -> Result<AttributeValue, String> {
    let Some((kind, inner)) = value
        .as_object()
        .and_then(|object| (object.len() == 1).then(|| object.iter().next()).flatten())
    else {
        return Err(format!("`{value}` is not one typed DynamoDB value"));
    };
    let text = || {
        inner
            .as_str()
            .ok_or_else(|| format!("{kind} `{inner}` is not a string"))
    };
    let list = || {
        inner
            .as_array()
            .ok_or_else(|| format!("{kind} `{inner}` is not a list"))
    };
    let texts = || -> Result<Vec<String>, String> {
        list()?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{kind} holds `{v}`"))
            })
            .collect()
    };
    let blob = |encoded: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map(Blob::new)
            .map_err(|e| format!("binary is not base64: {e}"))
    };
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text()?.to_owned()),
        "N" => AttributeValue::N(text()?.to_owned()),
        "B" => AttributeValue::B(blob(text()?)?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or("BOOL is not true or false")?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(texts()?),
        "NS" => AttributeValue::Ns(texts()?),
        "BS" => AttributeValue::Bs(texts()?.iter().map(|b| blob(b)).collect::<Result<_, _>>()?),
        "L" => AttributeValue::L(list()?.iter().map(attribute).collect::<Result<_, _>>()?),
        "M" => AttributeValue::M(
            inner
                .as_object()
                .ok_or_else(|| format!("M `{inner}` is not a map"))
                .and_then(item)?,
        ),
        other => return Err(format!("unknown DynamoDB type `{other}`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::record_item;
    use crate::domain::record::Millis;
    use crate::ports::StoredRecord;

    fn record(event: &str, keys: Value, new: Option<Value>, old: Option<Value>) -> StreamRecord {
        let mut change =
            serde_json::json!({"Keys": keys, "SequenceNumber": "1100000000017454423009"});
        if let Some(new) = new {
            change["NewImage"] = new;
        }
        if let Some(old) = old {
            change["OldImage"] = old;
        }
        serde_json::from_value(serde_json::json!({"eventName": event, "dynamodb": change})).unwrap()
    }

    #[test]
    fn a_record_is_charged_only_once_kept_raw_and_its_hour_marked_when_stored() {
        let stored = StoredRecord {
            instrument: InstrumentKey::from_stored("acme/gw-1.r1/LR8450/i1".into()),
            t: Millis(1_763_713_201_234),
            values: vec![0, 1, 2, 250, 251, 252, 253],
        };
        let image = serde_json::json!({
            "i": {"S": "acme/gw-1.r1/LR8450/i1"},
            "t": {"N": "1763713201234"},
            "v": {"B": base64::engine::general_purpose::STANDARD.encode(&stored.values)},
            "e": {"N": "1764318001"},
        });
        let keys = serde_json::json!({"i": image["i"], "t": image["t"]});
        let insert = record("INSERT", keys.clone(), Some(image.clone()), None);
        let change = insert.data_change().unwrap();
        assert_eq!(change.key, stored.instrument);
        assert_eq!(
            change.bytes, 0,
            "an expiring record is charged as its chunk"
        );
        assert_eq!(
            change.position,
            StreamPosition::parse("1100000000017454423009").unwrap()
        );
        assert_eq!(change.stored_hour, Some(Millis(1_763_712_000_000)));

        // Kept raw: its expiry taken off, it is charged the size DynamoDB bills for it.
        let mut kept = image.clone();
        kept.as_object_mut().unwrap().remove("e");
        let keep = record(
            "MODIFY",
            keys.clone(),
            Some(kept.clone()),
            Some(image.clone()),
        );
        let written = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_763_713_201);
        let mut billed = record_item(&stored, written);
        billed.remove(RECORD_EXPIRY_ATTRIBUTE);
        let size = item_size(&billed) as i64;
        assert_eq!(keep.data_change().unwrap().bytes, size);
        assert_eq!(keep.data_change().unwrap().stored_hour, None);
        let remove = record("REMOVE", keys.clone(), None, Some(kept.clone()));
        assert_eq!(remove.data_change().unwrap().bytes, -size);
        assert_eq!(remove.data_change().unwrap().stored_hour, None);
        let expired = record("REMOVE", keys.clone(), None, Some(image.clone()));
        assert_eq!(expired.data_change().unwrap().bytes, 0);
        let same = record("MODIFY", keys, Some(kept.clone()), Some(kept));
        assert_eq!(same.data_change().unwrap().bytes, 0);
        assert_eq!(same.data_change().unwrap().stored_hour, None);
    }

    #[test]
    fn a_chunk_is_charged_its_size_and_a_rollup_nothing() {
        let chunk = serde_json::json!({
            "i": {"S": "acme/gw-1.r1/LR8450/i1#hour"},
            "t": {"N": "1763712000000"},
            "c": {"B": "AAEC"},
        });
        let keys = serde_json::json!({"i": chunk["i"], "t": chunk["t"]});
        let insert = record("INSERT", keys, Some(chunk.clone()), None);
        let size = item_size(&item(chunk.as_object().unwrap()).unwrap()) as i64;
        assert_eq!(insert.data_change().unwrap().bytes, size);
        for level in ["h", "d", "b"] {
            let rollup = serde_json::json!({
                "i": {"S": format!("acme/gw-1.r1/LR8450/i1#{level}#hour")},
                "t": {"N": "1763712000000"},
                "c": {"B": "AAEC"},
            });
            let keys = serde_json::json!({"i": rollup["i"], "t": rollup["t"]});
            let insert = record("INSERT", keys, Some(rollup), None);
            assert_eq!(insert.data_change().unwrap().bytes, 0, "level {level}");
        }
    }

    #[test]
    fn a_chunk_kept_in_the_bucket_is_charged_its_object_too_which_is_released_once_unpointed() {
        let version = |object: &str, size: u64| {
            serde_json::json!({
                "i": {"S": "acme/gw-1.r1/LR8450/i1#hour"},
                "t": {"N": "1763712000000"},
                "n": {"N": "60"},
                "o": {"S": object},
                "z": {"N": size.to_string()},
            })
        };
        let (first, second) = (
            version("acme/gw-1.r1/LR8450/i1/1/60-a", 6_000),
            version("acme/gw-1.r1/LR8450/i1/1/61-b", 6_100),
        );
        let keys = serde_json::json!({"i": first["i"], "t": first["t"]});
        let size = |image: &Value| item_size(&item(image.as_object().unwrap()).unwrap()) as i64;

        let insert = record("INSERT", keys.clone(), Some(first.clone()), None);
        let change = insert.data_change().unwrap();
        assert_eq!(change.bytes, size(&first) + 6_000);
        assert_eq!(change.released, None, "the object is the new item's");

        let replaced = record(
            "MODIFY",
            keys.clone(),
            Some(second.clone()),
            Some(first.clone()),
        );
        let change = replaced.data_change().unwrap();
        assert_eq!(change.bytes, size(&second) + 6_100 - size(&first) - 6_000);
        assert_eq!(
            change.released.as_deref(),
            Some("acme/gw-1.r1/LR8450/i1/1/60-a")
        );

        let same = record(
            "MODIFY",
            keys.clone(),
            Some(second.clone()),
            Some(second.clone()),
        );
        assert_eq!(
            same.data_change().unwrap().released,
            None,
            "still pointed at"
        );

        let removed = record("REMOVE", keys.clone(), None, Some(second.clone()));
        let change = removed.data_change().unwrap();
        assert_eq!(change.bytes, -(size(&second) + 6_100));
        assert_eq!(
            change.released.as_deref(),
            Some("acme/gw-1.r1/LR8450/i1/1/61-b")
        );

        // An item pointing at an object not under its key has none deleted.
        let forged = version("other/gw-1.r1/LR8450/i1/1/60-a", 6_000);
        let removed = record("REMOVE", keys.clone(), None, Some(forged));
        assert_eq!(removed.data_change().unwrap().released, None);

        // A record's item, or a chunk kept in its item, releases nothing.
        let inline = serde_json::json!({"i": first["i"], "t": first["t"], "c": {"B": "AAEC"}});
        let gone = record("REMOVE", keys, None, Some(inline));
        assert_eq!(gone.data_change().unwrap().released, None);
    }

    #[test]
    fn a_chunk_stored_marks_no_hour_nor_does_a_record_without_a_whole_time() {
        let chunk = serde_json::json!({
            "i": {"S": "acme/gw-1.r1/LR8450/i1#hour"},
            "t": {"N": "1763712000000"},
        });
        let insert = record("INSERT", chunk.clone(), Some(chunk), None);
        assert_eq!(insert.data_change().unwrap().stored_hour, None);

        let fractional = serde_json::json!({"i": {"S": "acme/x"}, "t": {"N": "1.5"}});
        let insert = record("INSERT", fractional.clone(), Some(fractional), None);
        let change = insert.data_change().unwrap();
        assert_eq!(change.stored_hour, None);
        assert!(change.bytes > 0, "its bytes count all the same");
    }

    #[test]
    fn nested_and_set_values_are_sized_as_dynamodb_sizes_them() {
        let image = serde_json::json!({
            "m": {"M": {"a": {"L": [{"N": "12"}, {"BOOL": true}, {"NULL": true}]}}},
            "s": {"SS": ["ab", "c"]},
            "b": {"BS": ["AAE="]},
        });
        let parsed = item(image.as_object().unwrap()).unwrap();
        // m: 1 + (3 + (1 + 1 + (3 + (1+2) + (1+1) + (1+1)))); s: 1 + 3; b: 1 + 2.
        assert_eq!(
            item_size(&parsed),
            1 + 3 + 1 + 1 + 3 + 3 + 2 + 2 + 1 + 3 + 1 + 2
        );
    }

    #[test]
    fn what_is_not_a_records_change_is_named() {
        let keys = serde_json::json!({"i": {"S": "acme/x"}, "t": {"N": "1"}});
        let no_image = record("INSERT", keys.clone(), None, None);
        assert!(no_image
            .data_change()
            .unwrap_err()
            .contains("NEW_AND_OLD_IMAGES"));
        let odd = record("TOUCH", keys.clone(), Some(keys.clone()), None);
        assert!(odd.data_change().unwrap_err().contains("TOUCH"));
        let untyped = record(
            "INSERT",
            keys.clone(),
            Some(serde_json::json!({"v": 3})),
            None,
        );
        assert!(untyped.data_change().unwrap_err().contains("v:"));
        let bad_binary = record(
            "INSERT",
            keys,
            Some(serde_json::json!({"v": {"B": "%%"}})),
            None,
        );
        assert!(bad_binary.data_change().unwrap_err().contains("base64"));
        let no_key = record("INSERT", serde_json::json!({"t": {"N": "1"}}), None, None);
        assert!(no_key.data_change().unwrap_err().contains("no key `i`"));
    }
}
