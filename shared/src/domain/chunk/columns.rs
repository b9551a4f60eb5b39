//! The chunk format for sparse records: each channel's column with times of its own.
//!
//! The first format shares one run of times among all channels, which suits an
//! instrument's records (every channel at every time) and costs a presence bit per
//! record and channel otherwise. A rollup's skeleton is the other case: each channel's
//! first, last, least and greatest points fall at times of their own, a record holds a
//! channel or two, and those bits came to over half of a day's skeleton. Here each
//! column gives its own times instead: the first in full, then the steps between them
//! in units of their greatest common divisor (a skeleton of one-minute readings steps in
//! whole minutes: under 1,440 for a day, a few bits an hour).

use std::collections::BTreeMap;

use super::bits::{BitReader, BitWriter};
use super::{bounded, read_column, read_index, write_column, ChunkRecord, Column};
use crate::domain::codec::{unzigzag, zigzag, ChannelIndex, CodecError};
use crate::domain::record::{Millis, Value};

/// Format byte of a chunk of columns.
pub(super) const COLUMNS_FORMAT: u8 = 2;

/// `records` as columns, or `None` if one of them has no value (its time would be lost)
/// or their times or a record's channels do not increase (the callers' error, which the
/// other format turns into a chunk that does not read back).
pub(super) fn encode_columns(records: &[ChunkRecord]) -> Option<Vec<u8>> {
    let out_of_order = records.windows(2).any(|w| w[0].t >= w[1].t)
        || records
            .iter()
            .any(|r| r.values.windows(2).any(|w| w[0].0 >= w[1].0));
    if out_of_order || records.iter().any(|r| r.values.is_empty()) {
        return None;
    }
    let mut columns: BTreeMap<ChannelIndex, Vec<(Millis, Value)>> = BTreeMap::new();
    for record in records {
        for (index, value) in &record.values {
            columns.entry(*index).or_default().push((record.t, *value));
        }
    }
    let mut out = BitWriter::default();
    out.bits(u64::from(COLUMNS_FORMAT), 8);
    out.number(columns.len() as u64);
    let mut next = 0u64;
    for (index, points) in columns {
        out.number(u64::from(index) - next);
        next = u64::from(index) + 1;
        out.number(points.len() as u64 - 1);
        write_times(&mut out, &points);
        let values: Vec<Option<Value>> = points.iter().map(|(_, value)| Some(*value)).collect();
        write_column(&mut out, &values);
    }
    Some(out.finish())
}

/// The times of a column (at least one, strictly increasing).
fn write_times(out: &mut BitWriter, points: &[(Millis, Value)]) {
    let first = points[0].0 .0;
    out.bits(zigzag(first), 64);
    if points.len() == 1 {
        return;
    }
    // Differences in wrapping arithmetic: exact for any increasing times of an i64.
    let since_first = |t: Millis| t.0.wrapping_sub(first) as u64;
    let unit = points[1..]
        .iter()
        .fold(0, |unit, (t, _)| gcd(unit, since_first(*t)));
    out.number(unit - 1);
    for pair in points.windows(2) {
        let step = pair[1].0 .0.wrapping_sub(pair[0].0 .0) as u64;
        out.number(step / unit - 1);
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Decodes the rest of a chunk of columns (its format byte read): its columns in channel
/// order, each in time order.
pub(super) fn decode_columns(
    input: &mut BitReader,
    most: usize,
) -> Result<Vec<Column>, CodecError> {
    let columns = bounded(input.number()?, most, "more columns than bits")?;
    let mut read = Vec::with_capacity(columns.min(1_024));
    let mut next: u64 = 0;
    for _ in 0..columns {
        let index = read_index(input, &mut next)?;
        let count = input
            .number()?
            .checked_add(1)
            .ok_or(CodecError("more records than bits"))?;
        let times = read_times(input, bounded(count, most, "more records than bits")?)?;
        let values = read_column(input, times.len())?;
        let points = times
            .into_iter()
            .zip(values)
            .filter_map(|(t, value)| Some((t, value?)))
            .collect();
        read.push((index, points));
    }
    Ok(read)
}

/// The records of `columns` (in channel order) in time order, each time's values in
/// channel order.
pub(super) fn records_of(columns: Vec<Column>) -> Vec<ChunkRecord> {
    let mut points: Vec<(Millis, ChannelIndex, Value)> = columns
        .into_iter()
        .flat_map(|(index, points)| points.into_iter().map(move |(t, value)| (t, index, value)))
        .collect();
    // Columns come in channel order, and a stable sort keeps it among a time's values.
    points.sort_by_key(|(t, _, _)| *t);
    points
        .chunk_by(|a, b| a.0 == b.0)
        .map(|at| ChunkRecord {
            t: at[0].0,
            values: at
                .iter()
                .map(|(_, index, value)| (*index, *value))
                .collect(),
        })
        .collect()
}

fn read_times(input: &mut BitReader, count: usize) -> Result<Vec<Millis>, CodecError> {
    let mut t = unzigzag(input.bits(64)?);
    let mut times = vec![Millis(t)];
    if count == 1 {
        return Ok(times);
    }
    let unit = input
        .number()?
        .checked_add(1)
        .ok_or(CodecError("time unit too large"))?;
    for _ in 1..count {
        let step = input
            .number()?
            .checked_add(1)
            .and_then(|units| units.checked_mul(unit))
            .ok_or(CodecError("record times out of range"))?;
        t = i64::try_from(i128::from(t) + i128::from(step))
            .map_err(|_| CodecError("record times out of range"))?;
        times.push(Millis(t));
    }
    Ok(times)
}
