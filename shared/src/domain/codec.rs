//! The compact binary encoding of channel values, stored in one DynamoDB attribute per
//! record.
//!
//! Channels are referred to by their index in the instrument's channel dictionary, so a
//! name is stored once per instrument, not once per record. Each entry is one head byte
//! (low nibble: value kind, high nibble: the gap to the previous channel index, 15 = a
//! varint gap follows) and the value's bytes:
//! - kinds 0..=9: a decimal `m / 10^kind` with `m` a zigzag varint. Instruments report
//!   decimal readings (`23.41`), which fit in two to four bytes this way; a number is only
//!   stored so when decoding gives back the very same `f64` bits.
//! - kind 10: any other finite `f64`, eight bytes little-endian.
//! - kinds 11..=14: `+OVER`, `-OVER`, `BURNOUT`, `ERROR`, no bytes.
//!
//! A value blob starts with a format byte, so the encoding can change without rewriting
//! history.

use super::record::{Special, Value};

/// Format byte of a record's value blob.
const VALUES_FORMAT: u8 = 1;

const KIND_F64: u8 = 10;
const KIND_SPECIAL_BASE: u8 = 11;
const GAP_ESCAPE: u8 = 15;
pub(in crate::domain) const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/// Integers up to 2^53 are exact in an `f64`; beyond, `m / 10^e` is not reliable.
pub(in crate::domain) const MAX_EXACT_MANTISSA: f64 = 9_007_199_254_740_992.0;

/// The position of a channel in its instrument's channel dictionary.
pub type ChannelIndex = u32;

/// A blob that cannot be decoded: stored data is corrupt or from an unknown format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored values cannot be decoded: {0}")]
pub struct CodecError(pub(in crate::domain) &'static str);

/// Encodes `(channel index, value)` pairs; the pairs must be sorted by index, without
/// repeats (the encoder asserts this in debug builds: it is the caller's invariant).
pub fn encode_values(entries: &[(ChannelIndex, Value)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + entries.len() * 4);
    out.push(VALUES_FORMAT);
    let mut next = 0;
    for (index, value) in entries {
        put_entry(&mut out, &mut next, *index, value);
    }
    out
}

/// Decodes a blob written by [`encode_values`].
pub fn decode_values(bytes: &[u8]) -> Result<Vec<(ChannelIndex, Value)>, CodecError> {
    let mut reader = Reader::new(bytes)?;
    let mut out = Vec::new();
    while !reader.done() {
        out.push(reader.entry()?);
    }
    Ok(out)
}

fn put_entry(out: &mut Vec<u8>, next: &mut ChannelIndex, index: ChannelIndex, value: &Value) {
    debug_assert!(index >= *next, "entries must be sorted by channel index");
    let gap = index - *next;
    *next = index + 1;
    let (kind, payload) = classify(value);
    if gap < u32::from(GAP_ESCAPE) {
        out.push((gap as u8) << 4 | kind);
    } else {
        out.push(GAP_ESCAPE << 4 | kind);
        put_varint(out, u64::from(gap - u32::from(GAP_ESCAPE)));
    }
    match payload {
        Payload::None => {}
        Payload::Mantissa(m) => put_varint(out, zigzag(m)),
        Payload::Float(f) => out.extend_from_slice(&f.to_le_bytes()),
    }
}

enum Payload {
    None,
    Mantissa(i64),
    Float(f64),
}

fn classify(value: &Value) -> (u8, Payload) {
    match value {
        Value::Special(special) => (KIND_SPECIAL_BASE + special_code(*special), Payload::None),
        Value::Number(number) => match as_decimal(*number) {
            Some((exponent, mantissa)) => (exponent, Payload::Mantissa(mantissa)),
            None => (KIND_F64, Payload::Float(*number)),
        },
    }
}

pub(in crate::domain) fn special_code(special: Special) -> u8 {
    match special {
        Special::PlusOver => 0,
        Special::MinusOver => 1,
        Special::Burnout => 2,
        Special::Error => 3,
    }
}

/// The smallest decimal exponent that gives back the exact bits of `number`.
pub(in crate::domain) fn as_decimal(number: f64) -> Option<(u8, i64)> {
    for (exponent, scale) in POW10.iter().enumerate() {
        let scaled = (number * scale).round();
        if scaled.abs() >= MAX_EXACT_MANTISSA {
            return None;
        }
        // Checked through the integer the decoder will see, so `-0.0` (whose mantissa
        // would be a sign-less 0) falls through to the eight-byte form.
        let mantissa = scaled as i64;
        if (mantissa as f64 / scale).to_bits() == number.to_bits() {
            return Some((exponent as u8, mantissa));
        }
    }
    None
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    next: ChannelIndex,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, CodecError> {
        match bytes.first() {
            Some(&VALUES_FORMAT) => Ok(Reader {
                bytes,
                position: 1,
                next: 0,
            }),
            Some(_) => Err(CodecError("unknown format byte")),
            None => Err(CodecError("empty blob")),
        }
    }

    fn done(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or(CodecError("truncated"))?;
        self.position += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CodecError("varint too long"))
    }

    fn entry(&mut self) -> Result<(ChannelIndex, Value), CodecError> {
        let head = self.byte()?;
        let (gap_nibble, kind) = (head >> 4, head & 0x0f);
        let gap = if gap_nibble == GAP_ESCAPE {
            let extra =
                u32::try_from(self.varint()?).map_err(|_| CodecError("channel gap too large"))?;
            extra
                .checked_add(u32::from(GAP_ESCAPE))
                .ok_or(CodecError("channel gap too large"))?
        } else {
            u32::from(gap_nibble)
        };
        let index = self
            .next
            .checked_add(gap)
            .ok_or(CodecError("channel index too large"))?;
        self.next = index.saturating_add(1);
        let value = match kind {
            0..=9 => {
                let mantissa = unzigzag(self.varint()?);
                Value::Number(mantissa as f64 / POW10[usize::from(kind)])
            }
            KIND_F64 => {
                let end = self.position + 8;
                let raw = self
                    .bytes
                    .get(self.position..end)
                    .ok_or(CodecError("truncated"))?;
                self.position = end;
                let number = f64::from_le_bytes(raw.try_into().expect("slice of eight bytes"));
                Value::finite(number).ok_or(CodecError("non-finite number"))?
            }
            11..=14 => Value::Special(Special::ALL[usize::from(kind - KIND_SPECIAL_BASE)]),
            _ => return Err(CodecError("unknown value kind")),
        };
        Ok((index, value))
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub(in crate::domain) fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

pub(in crate::domain) fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value_strategy() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::Number),
            (-1_000_000i64..1_000_000, 0u32..6)
                .prop_map(|(m, e)| Value::Number(m as f64 / 10f64.powi(e as i32))),
            Just(Value::Number(-0.0)),
            prop::sample::select(Special::ALL.to_vec()).prop_map(Value::Special),
        ]
    }

    fn entries_strategy() -> impl Strategy<Value = Vec<(ChannelIndex, Value)>> {
        prop::collection::btree_map(0u32..5000, value_strategy(), 0..120)
            .prop_map(|map| map.into_iter().collect())
    }

    fn same(a: &[(ChannelIndex, Value)], b: &[(ChannelIndex, Value)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((ia, va), (ib, vb))| ia == ib && va.same_bits(vb))
    }

    proptest! {
        #[test]
        fn values_round_trip_bit_exact(entries in entries_strategy()) {
            let decoded = decode_values(&encode_values(&entries)).unwrap();
            prop_assert!(same(&entries, &decoded), "{entries:?} != {decoded:?}");
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_values(&bytes);
        }
    }

    #[test]
    fn decimal_readings_take_a_few_bytes() {
        let entries: Vec<(ChannelIndex, Value)> = [23.41, -0.5, 1013.25, 0.0, 230.1]
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u32, Value::Number(*v)))
            .collect();
        let blob = encode_values(&entries);
        // format byte + per value: head byte and a 1..3 byte mantissa
        assert_eq!(
            blob.len(),
            1 + (1 + 2) + (1 + 1) + (1 + 3) + (1 + 1) + (1 + 2)
        );
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        assert_eq!(decode_values(&[]), Err(CodecError("empty blob")));
        assert_eq!(decode_values(&[9]), Err(CodecError("unknown format byte")));
        assert_eq!(
            decode_values(&[VALUES_FORMAT, KIND_F64, 1, 2]),
            Err(CodecError("truncated"))
        );
        assert_eq!(
            decode_values(&[VALUES_FORMAT, 0x0f]),
            Err(CodecError("unknown value kind"))
        );
    }
}
