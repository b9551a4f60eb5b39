//! Records: what an instrument measured at one instant.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use super::ids::{ChannelName, InstrumentSerial};

/// Milliseconds since the Unix epoch, UTC. Every instant in fieldcloud is one of these.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    pub const SECOND: i64 = 1_000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    pub const DAY: i64 = 24 * Self::HOUR;

    pub fn plus(self, millis: i64) -> Millis {
        Millis(self.0.saturating_add(millis))
    }

    /// The start of the UTC hour holding this instant (the earliest instant there is, for
    /// one in the hour before it: an open range's start).
    pub fn start_of_hour(self) -> Millis {
        Millis(self.0.saturating_sub(self.0.rem_euclid(Self::HOUR)))
    }

    /// The start of the UTC day holding this instant (saturating as
    /// [`Millis::start_of_hour`] does).
    pub fn start_of_day(self) -> Millis {
        Millis(self.0.saturating_sub(self.0.rem_euclid(Self::DAY)))
    }

    /// The time as messages name it: RFC 3339, in UTC, to the second.
    pub fn iso(self) -> String {
        chrono::DateTime::from_timestamp_millis(self.0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// The special values instruments report instead of a number. They are stored as such,
/// never as numbers, so nobody averages an `+OVER` into a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Special {
    PlusOver,
    MinusOver,
    Burnout,
    Error,
}

impl Special {
    pub const ALL: [Special; 4] = [
        Special::PlusOver,
        Special::MinusOver,
        Special::Burnout,
        Special::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Special::PlusOver => "+OVER",
            Special::MinusOver => "-OVER",
            Special::Burnout => "BURNOUT",
            Special::Error => "ERROR",
        }
    }

    pub fn parse(text: &str) -> Option<Special> {
        Special::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl Serialize for Special {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Special {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Special::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a special value")))
    }
}

/// Special values are named in the API by the names they are sent with.
impl JsonSchema for Special {
    fn schema_name() -> Cow<'static, str> {
        "Special".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A reading that is not a number: over range, a burnt-out sensor, an error.",
            "type": "string",
            "enum": Special::ALL.map(Special::as_str),
        })
    }
}

/// One channel's value: a finite number or a special value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Number(f64),
    Special(Special),
}

impl Value {
    /// A number, if it is finite; NaN and infinities are not measurements.
    pub fn finite(number: f64) -> Option<Value> {
        number.is_finite().then_some(Value::Number(number))
    }

    /// Bit-level equality, so a stored `-0.0` is not confused with `0.0`.
    pub fn same_bits(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.to_bits() == b.to_bits(),
            (Value::Special(a), Value::Special(b)) => a == b,
            _ => false,
        }
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(n) => serializer.serialize_f64(*n),
            Value::Special(s) => serializer.serialize_str(s.as_str()),
        }
    }
}

/// A value is written as a number or a special value's name.
impl JsonSchema for Value {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let special = generator.subschema_for::<Special>();
        json_schema!({
            "description": "A channel's value: a finite number, or a special value.",
            "oneOf": [{"type": "number"}, special],
        })
    }
}

/// Reads what [`Value`]'s `Serialize` writes: a number, or a special value's name.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl serde::de::Visitor<'_> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a finite number or one of +OVER, -OVER, BURNOUT, ERROR")
            }
            fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Value, E> {
                Value::finite(number).ok_or_else(|| E::custom("a value is a finite number"))
            }
            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Value, E> {
                self.visit_f64(number as f64)
            }
            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Value, E> {
                self.visit_f64(number as f64)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Value, E> {
                Special::parse(text)
                    .map(Value::Special)
                    .ok_or_else(|| E::custom(format!("`{text}` is not a special value")))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// A validated record: one instrument, one instant, its channel values.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub instrument: InstrumentSerial,
    pub t: Millis,
    pub values: Vec<(ChannelName, Value)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_falls_in_the_hour_that_starts_at_or_before_it() {
        let hour = Millis(1_764_637_200_000);
        assert_eq!(hour.start_of_hour(), hour);
        assert_eq!(hour.plus(Millis::HOUR - 1).start_of_hour(), hour);
        assert_eq!(Millis(-1).start_of_hour(), Millis(-Millis::HOUR));
        // An open range's start has no hour before it that fits: the earliest instant.
        assert_eq!(Millis(i64::MIN).start_of_hour(), Millis(i64::MIN));
        assert!(Millis(i64::MIN + 5).start_of_hour() <= Millis(i64::MIN + 5));
    }
}
