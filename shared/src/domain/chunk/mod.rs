//! A chunk: a run of records of one record key (an instrument's, or a calculated
//! channel's) compressed into one blob, bit-exact, for history that no longer changes.
//!
//! Instrument readings change little from one record to the next, so a chunk stores
//! differences in a prefix code ([`bits`]) rather than values:
//! - times: the first in full, then the change of the interval from record to record —
//!   one bit a record at a steady interval;
//! - one column per channel: whether each record has it (one bit when all have), then
//!   its decimal readings as whole numbers at the column's finest decimal exponent, each
//!   the difference from the one before (1 to 14 bits for readings like `23.41`
//!   drifting by a few hundredths); a number that is no decimal of at most nine places
//!   (`-0.0`, `0.1 + 0.2`) takes an escape and its 64 bits (74 in all), a special value
//!   an escape and three bits (10 in all).
//!
//! A chunk starts with a format byte, as a record's blob does. Records that share few
//! times among their channels (a rollup's skeleton) are written in the format of
//! [`columns`] instead, when that is shorter.

mod bits;
mod columns;
mod merge;
#[cfg(test)]
mod tests;

use bits::{BitReader, BitWriter};
use columns::{decode_columns, encode_columns, COLUMNS_FORMAT};
pub use merge::merge_preferring;

use super::codec::{
    as_decimal, special_code, unzigzag, zigzag, ChannelIndex, CodecError, MAX_EXACT_MANTISSA, POW10,
};
use super::record::{Millis, Special, Value};

/// Format byte of a chunk of records sharing their times.
const CHUNK_FORMAT: u8 = 1;
/// The exponent written for a column without decimal numbers.
const NO_EXPONENT: u64 = 15;
/// An escaped value's kind: a special value (0 to 3, in [`Special::ALL`]'s order) or this,
/// an `f64` in its 64 bits.
const ESCAPED_F64: u64 = 4;

/// One record of a chunk: its time and its values by channel index, sorted by index.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRecord {
    pub t: Millis,
    pub values: Vec<(ChannelIndex, Value)>,
}

impl ChunkRecord {
    /// The same time and channels, and values equal bit for bit (so a `-0.0` is not
    /// taken for a `0.0`).
    pub fn same_bits(&self, other: &ChunkRecord) -> bool {
        self.t == other.t
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|((ia, va), (ib, vb))| ia == ib && va.same_bits(vb))
    }
}

/// Compresses `records`, which are in strictly increasing time, each with its values
/// sorted by channel index without repeats and its numbers finite (the callers'
/// invariant, as decoded records give it; asserted in debug builds: a record out of it
/// would lose a value or make a chunk that does not read back), in whichever format is
/// shorter.
pub fn encode_chunk(records: &[ChunkRecord]) -> Vec<u8> {
    let rows = encode_rows(records);
    // Records that all hold the same channels (an instrument's) are shorter in rows,
    // which give their times once: the other format is not tried.
    let same_channels = |a: &ChunkRecord, b: &ChunkRecord| {
        a.values.len() == b.values.len() && a.values.iter().zip(&b.values).all(|(x, y)| x.0 == y.0)
    };
    if records.windows(2).all(|w| same_channels(&w[0], &w[1])) {
        return rows;
    }
    match encode_columns(records) {
        Some(columns) if columns.len() < rows.len() => columns,
        _ => rows,
    }
}

fn encode_rows(records: &[ChunkRecord]) -> Vec<u8> {
    debug_assert!(records.windows(2).all(|w| w[0].t < w[1].t));
    debug_assert!(records
        .iter()
        .all(|r| r.values.windows(2).all(|w| w[0].0 < w[1].0)));
    debug_assert!(records.iter().all(|r| r
        .values
        .iter()
        .all(|(_, v)| !matches!(v, Value::Number(n) if !n.is_finite()))));
    let mut out = BitWriter::default();
    out.bits(u64::from(CHUNK_FORMAT), 8);
    out.number(records.len() as u64);
    write_times(&mut out, records);
    let mut indexes: Vec<ChannelIndex> = records
        .iter()
        .flat_map(|r| r.values.iter().map(|(index, _)| *index))
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    out.number(indexes.len() as u64);
    let mut next = 0u64;
    // Where each record's values have been taken up to: columns go in index order, and
    // each record's values are sorted the same way.
    let mut cursors = vec![0usize; records.len()];
    for index in indexes {
        out.number(u64::from(index) - next);
        next = u64::from(index) + 1;
        let column: Vec<Option<Value>> = records
            .iter()
            .zip(&mut cursors)
            .map(|(record, cursor)| match record.values.get(*cursor) {
                Some((i, value)) if *i == index => {
                    *cursor += 1;
                    Some(*value)
                }
                _ => None,
            })
            .collect();
        write_column(&mut out, &column);
    }
    out.finish()
}

fn write_times(out: &mut BitWriter, records: &[ChunkRecord]) {
    let Some(first) = records.first() else {
        return;
    };
    out.bits(zigzag(first.t.0), 64);
    // Differences in wrapping arithmetic: exact for any increasing times of an i64.
    let mut previous = (first.t.0, 0u64);
    for (i, record) in records.iter().enumerate().skip(1) {
        let interval = record.t.0.wrapping_sub(previous.0) as u64;
        if i == 1 {
            out.number(interval);
        } else {
            out.number(zigzag(interval.wrapping_sub(previous.1) as i64));
        }
        previous = (record.t.0, interval);
    }
}

fn write_column(out: &mut BitWriter, column: &[Option<Value>]) {
    let exponent = column
        .iter()
        .flatten()
        .filter_map(|value| match value {
            Value::Number(number) => as_decimal(*number).map(|(exponent, _)| exponent),
            Value::Special(_) => None,
        })
        .max();
    out.bits(exponent.map_or(NO_EXPONENT, u64::from), 4);
    let all_present = column.iter().all(Option::is_some);
    out.bit(all_present);
    if !all_present {
        for value in column {
            out.bit(value.is_some());
        }
    }
    let mut previous = 0i64;
    for value in column.iter().flatten() {
        match (value, exponent.and_then(|e| mantissa_at(value, e))) {
            (_, Some(mantissa)) => {
                // Both below 2^53 in magnitude: the difference cannot overflow.
                out.number(zigzag(mantissa - previous));
                previous = mantissa;
            }
            (Value::Special(special), None) => {
                out.escape();
                out.bits(u64::from(special_code(*special)), 3);
            }
            (Value::Number(number), None) => {
                out.escape();
                out.bits(ESCAPED_F64, 3);
                out.bits(number.to_bits(), 64);
            }
        }
    }
}

/// `value` as a whole number of `10^-exponent`, if that gives back its very bits.
fn mantissa_at(value: &Value, exponent: u8) -> Option<i64> {
    let Value::Number(number) = value else {
        return None;
    };
    let (own, mantissa) = as_decimal(*number)?;
    let scaled = mantissa.checked_mul(10i64.pow(u32::from(exponent - own)))?;
    // m / 10^e and m·10^k / 10^(e+k) are the same rational, both operands exact below
    // 2^53, and division rounds correctly: the same bits.
    ((scaled.unsigned_abs() as f64) < MAX_EXACT_MANTISSA).then_some(scaled)
}

/// One channel's points of a chunk, in time order.
pub type Column = (ChannelIndex, Vec<(Millis, Value)>);

/// A chunk as its format holds it.
enum Decoded {
    /// Records sharing their times: the times (as records yet without values), and a
    /// column per channel with a place for each.
    Rows(Vec<ChunkRecord>, Vec<(ChannelIndex, Vec<Option<Value>>)>),
    /// A column per channel with times of its own.
    Columns(Vec<Column>),
}

fn decode(bytes: &[u8]) -> Result<Decoded, CodecError> {
    let mut input = BitReader::new(bytes);
    // Every record after the first takes at least one bit, every column two: counts
    // beyond that are corrupt, and refused before anything is allocated for them.
    let most = bytes.len() * 8 + 1;
    match input.bits(8) {
        Ok(format) if format == u64::from(CHUNK_FORMAT) => {}
        Ok(format) if format == u64::from(COLUMNS_FORMAT) => {
            return Ok(Decoded::Columns(decode_columns(&mut input, most)?));
        }
        Ok(_) => return Err(CodecError("unknown chunk format")),
        Err(_) => return Err(CodecError("empty blob")),
    }
    let count = bounded(input.number()?, most, "more records than bits")?;
    let records = read_times(&mut input, count)?;
    let columns = bounded(input.number()?, most, "more columns than bits")?;
    let mut read: Vec<(ChannelIndex, Vec<Option<Value>>)> = Vec::new();
    let mut next: u64 = 0;
    for _ in 0..columns {
        let index = read_index(&mut input, &mut next)?;
        let column = read_column(&mut input, records.len())?;
        read.push((index, column));
    }
    Ok(Decoded::Rows(records, read))
}

/// Decodes a chunk written by [`encode_chunk`] into its columns, in channel order: what
/// a graph takes, with no records to make of a skeleton's scattered points.
pub fn decode_chunk_columns(bytes: &[u8]) -> Result<Vec<Column>, CodecError> {
    Ok(match decode(bytes)? {
        Decoded::Columns(columns) => columns,
        Decoded::Rows(times, read) => read
            .into_iter()
            .map(|(index, column)| {
                let points = times
                    .iter()
                    .zip(column)
                    .filter_map(|(record, value)| Some((record.t, value?)))
                    .collect();
                (index, points)
            })
            .collect(),
    })
}

/// Decodes a chunk written by [`encode_chunk`].
pub fn decode_chunk(bytes: &[u8]) -> Result<Vec<ChunkRecord>, CodecError> {
    let (mut records, read) = match decode(bytes)? {
        Decoded::Rows(records, read) => (records, read),
        Decoded::Columns(columns) => return Ok(columns::records_of(columns)),
    };
    for (i, record) in records.iter_mut().enumerate() {
        let present = read
            .iter()
            .filter(|(_, column)| column[i].is_some())
            .count();
        record.values = Vec::with_capacity(present);
        record.values.extend(
            read.iter()
                .filter_map(|(index, column)| Some((*index, column[i]?))),
        );
    }
    Ok(records)
}

/// A column's channel index, written as the gap from `next` (the one after the column
/// before), which it moves on.
fn read_index(input: &mut BitReader, next: &mut u64) -> Result<ChannelIndex, CodecError> {
    let index = next
        .checked_add(input.number()?)
        .filter(|index| *index <= u64::from(ChannelIndex::MAX))
        .ok_or(CodecError("channel index too large"))?;
    *next = index + 1;
    Ok(index as ChannelIndex)
}

fn bounded(count: u64, most: usize, problem: &'static str) -> Result<usize, CodecError> {
    usize::try_from(count)
        .ok()
        .filter(|count| *count <= most)
        .ok_or(CodecError(problem))
}

fn read_times(input: &mut BitReader, count: usize) -> Result<Vec<ChunkRecord>, CodecError> {
    let mut records = Vec::with_capacity(count);
    let mut previous = (0i64, 0u64);
    for i in 0..count {
        let t = match i {
            0 => unzigzag(input.bits(64)?),
            _ => {
                let interval = match i {
                    1 => input.number()?,
                    _ => previous.1.wrapping_add(unzigzag(input.number()?) as u64),
                };
                let t = previous.0.wrapping_add(interval as i64);
                if t <= previous.0 {
                    return Err(CodecError("record times out of order"));
                }
                previous.1 = interval;
                t
            }
        };
        previous.0 = t;
        records.push(ChunkRecord {
            t: Millis(t),
            values: Vec::new(),
        });
    }
    Ok(records)
}

/// A column of `count` records: each one's value, if it has one.
fn read_column(input: &mut BitReader, count: usize) -> Result<Vec<Option<Value>>, CodecError> {
    let exponent = match input.bits(4)? {
        NO_EXPONENT => None,
        e if e < POW10.len() as u64 => Some(e as usize),
        _ => return Err(CodecError("unknown decimal exponent")),
    };
    let present: Vec<bool> = if input.bit()? {
        vec![true; count]
    } else {
        (0..count).map(|_| input.bit()).collect::<Result<_, _>>()?
    };
    let mut previous = 0i64;
    let mut column = Vec::with_capacity(count);
    for present in present {
        if !present {
            column.push(None);
            continue;
        }
        let value = match input.number_or_escape()? {
            Some(difference) => {
                let exponent =
                    exponent.ok_or(CodecError("a decimal in a column without an exponent"))?;
                let mantissa = previous
                    .checked_add(unzigzag(difference))
                    .filter(|m| (m.unsigned_abs() as f64) < MAX_EXACT_MANTISSA)
                    .ok_or(CodecError("decimal out of range"))?;
                previous = mantissa;
                Value::Number(mantissa as f64 / POW10[exponent])
            }
            None => match input.bits(3)? {
                ESCAPED_F64 => Value::finite(f64::from_bits(input.bits(64)?))
                    .ok_or(CodecError("non-finite number"))?,
                code => Value::Special(
                    *Special::ALL
                        .get(code as usize)
                        .ok_or(CodecError("unknown value kind"))?,
                ),
            },
        };
        column.push(Some(value));
    }
    Ok(column)
}
