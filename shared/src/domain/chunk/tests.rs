use std::f64::consts::TAU;

use proptest::prelude::*;

use super::*;

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("a measurement is finite", |x| x.is_finite())
            .prop_map(Value::Number),
        (-1_000_000i64..1_000_000, 0i32..10)
            .prop_map(|(m, e)| Value::Number(m as f64 / 10f64.powi(e))),
        (-(1i64 << 53)..(1i64 << 53)).prop_map(|m| Value::Number(m as f64 / 1e9)),
        Just(Value::Number(-0.0)),
        Just(Value::Number(f64::MAX)),
        proptest::sample::select(Special::ALL.to_vec()).prop_map(Value::Special),
    ]
}

/// Records over the whole of an `i64` of milliseconds, some at steady intervals, with
/// channels present in some records only.
fn records() -> impl Strategy<Value = Vec<ChunkRecord>> {
    let times = prop_oneof![
        proptest::collection::btree_set(any::<i64>(), 0..40)
            .prop_map(|set| set.into_iter().collect::<Vec<_>>()),
        (any::<i32>(), 1i64..100_000, 0usize..80).prop_map(|(start, step, n)| (0..n as i64)
            .map(|i| i64::from(start) + i * step)
            .collect()),
    ];
    times.prop_flat_map(|times| {
        times
            .into_iter()
            .map(|t| {
                proptest::collection::btree_map(
                    prop_oneof![0u32..6, 6u32..40, Just(u32::MAX)],
                    value(),
                    0..6,
                )
                .prop_map(move |values| ChunkRecord {
                    t: Millis(t),
                    values: values.into_iter().collect(),
                })
            })
            .collect::<Vec<_>>()
    })
}

fn same(a: &[ChunkRecord], b: &[ChunkRecord]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_bits(b))
}

proptest! {
    #[test]
    fn a_chunk_decodes_to_the_same_bits(records in records()) {
        let decoded = decode_chunk(&encode_chunk(&records)).unwrap();
        prop_assert!(same(&records, &decoded), "{records:?}\n{decoded:?}");
    }

    #[test]
    fn a_chunk_decodes_to_its_channels_columns_in_either_format(
        records in records(),
        in_columns in any::<bool>(),
    ) {
        let records: Vec<ChunkRecord> =
            records.into_iter().filter(|r| !r.values.is_empty()).collect();
        let bytes = match in_columns {
            true => columns::encode_columns(&records).unwrap(),
            false => encode_rows(&records),
        };
        let mut expected: std::collections::BTreeMap<ChannelIndex, Vec<(Millis, Value)>> =
            Default::default();
        for record in &records {
            for (index, value) in &record.values {
                expected.entry(*index).or_default().push((record.t, *value));
            }
        }
        let decoded = decode_chunk_columns(&bytes).unwrap();
        prop_assert_eq!(decoded.len(), expected.len());
        for ((index, points), (expected_index, expected_points)) in decoded.iter().zip(&expected) {
            prop_assert_eq!(index, expected_index);
            prop_assert_eq!(points.len(), expected_points.len());
            for ((t, value), (expected_t, expected_value)) in points.iter().zip(expected_points) {
                prop_assert!(t == expected_t && value.same_bits(expected_value));
            }
        }
    }

    #[test]
    fn a_chunk_of_columns_decodes_to_the_same_bits(records in records()) {
        let records: Vec<ChunkRecord> =
            records.into_iter().filter(|r| !r.values.is_empty()).collect();
        let bytes = columns::encode_columns(&records).unwrap();
        let decoded = decode_chunk(&bytes).unwrap();
        prop_assert!(same(&records, &decoded), "{records:?}\n{decoded:?}");
    }

    #[test]
    fn a_damaged_chunk_of_columns_is_refused_or_read_never_panic(
        records in records(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4),
    ) {
        let records: Vec<ChunkRecord> =
            records.into_iter().filter(|r| !r.values.is_empty()).collect();
        let mut bytes = columns::encode_columns(&records).unwrap();
        for (at, bit) in flips {
            // Not the format byte: the other format is tried above.
            let at = 1 + at.index(bytes.len() - 1);
            bytes[at] ^= 1 << bit;
        }
        let _ = decode_chunk(&bytes);
    }

    #[test]
    fn arbitrary_bytes_are_refused_or_read_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = decode_chunk(&bytes);
    }

    #[test]
    fn a_damaged_chunk_is_refused_or_read_never_panic(
        records in records(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4),
    ) {
        let mut bytes = encode_chunk(&records);
        for (at, bit) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        let _ = decode_chunk(&bytes);
    }
}

/// A small deterministic generator, so the figure below is the same on every run.
struct Noise(u64);

impl Noise {
    /// Uniform in `[-1, 1)`.
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// An hour of one-minute records of 32 channels as the simulated fleet sends them
/// (`infra/devcloud/src/fleet.rs`): temperatures at 0.1 °C swinging 4 °C over half an
/// hour, mains voltages at 0.01 V, load currents at 0.001 A, each with its noise.
fn an_hour_of_readings(start: i64) -> Vec<ChunkRecord> {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    (0..60)
        .map(|minute| {
            let m = f64::from(minute);
            let values = (0..32u32)
                .map(|channel| {
                    let phase = f64::from(channel);
                    let (value, scale) = match channel % 3 {
                        0 => (
                            20.0 + 4.0 * (TAU * m / 30.0 + phase).sin() + 0.2 * noise.next(),
                            10.0,
                        ),
                        1 => (
                            230.0 * (1.0 + 0.01 * (TAU * m / 7.0 + phase).sin())
                                + 0.3 * noise.next(),
                            100.0,
                        ),
                        _ => (
                            5.0 * (1.0 + 0.4 * (TAU * m / 3.0 + phase).sin().max(0.0))
                                + 0.05 * noise.next(),
                            1000.0,
                        ),
                    };
                    (channel, Value::Number((value * scale).round() / scale))
                })
                .collect();
            ChunkRecord {
                t: Millis(start + i64::from(minute) * Millis::MINUTE),
                values,
            }
        })
        .collect()
}

#[test]
fn an_hour_of_instrument_readings_takes_at_most_two_bytes_a_point() {
    let records = an_hour_of_readings(1_764_637_200_000);
    let bytes = encode_chunk(&records);
    let points = records.len() * 32;
    let per_point = bytes.len() as f64 / points as f64;
    println!(
        "an hour of 32 channels at one minute: {} bytes, {per_point:.2} bytes a point",
        bytes.len()
    );
    assert!(per_point <= 2.0, "{per_point} bytes a point");
    assert!(same(&records, &decode_chunk(&bytes).unwrap()));
}

#[test]
fn steady_times_take_a_bit_a_record() {
    let records: Vec<ChunkRecord> = (0..801)
        .map(|i| ChunkRecord {
            t: Millis(1_764_637_200_000 + i * 5_000),
            values: Vec::new(),
        })
        .collect();
    // Format byte, the count, the first time in 64 bits, the first interval, then one
    // bit for each of the 799 intervals equal to the one before, and no columns.
    let bits: usize = 8 + 14 + 64 + 21 + 799 + 1;
    assert_eq!(encode_chunk(&records).len(), bits.div_ceil(8));
}

#[test]
fn what_no_decimal_holds_keeps_its_bits_and_specials_their_kind() {
    let records = vec![
        ChunkRecord {
            t: Millis(0),
            values: vec![
                (0, Value::Number(-0.0)),
                (1, Value::Number(0.1 + 0.2)),
                (2, Value::Special(Special::Burnout)),
            ],
        },
        ChunkRecord {
            t: Millis(1),
            values: vec![(0, Value::Number(23.41)), (2, Value::Number(1e300))],
        },
    ];
    assert!(same(
        &records,
        &decode_chunk(&encode_chunk(&records)).unwrap()
    ));
}

#[test]
fn a_column_from_the_first_instant_to_the_last_reads_back() {
    let records: Vec<ChunkRecord> = [i64::MIN, -1, i64::MAX]
        .into_iter()
        .map(|t| ChunkRecord {
            t: Millis(t),
            values: vec![(7, Value::Number(t as f64))],
        })
        .collect();
    let bytes = columns::encode_columns(&records).unwrap();
    assert!(same(&records, &decode_chunk(&bytes).unwrap()));
}

#[test]
fn records_out_of_order_are_not_written_in_columns() {
    let record = |t: i64, values: Vec<(ChannelIndex, Value)>| ChunkRecord {
        t: Millis(t),
        values,
    };
    let one = Value::Number(1.0);
    for records in [
        vec![record(5, vec![(0, one)]), record(5, vec![(1, one)])],
        vec![record(5, vec![(0, one)]), record(4, vec![(0, one)])],
        vec![record(5, vec![(1, one), (1, one)])],
        vec![record(5, vec![(2, one), (1, one)])],
    ] {
        assert_eq!(columns::encode_columns(&records), None, "{records:?}");
    }
}

#[test]
fn damage_is_named() {
    assert_eq!(decode_chunk(&[]), Err(CodecError("empty blob")));
    assert_eq!(decode_chunk(&[9]), Err(CodecError("unknown chunk format")));
    let bytes = encode_chunk(&an_hour_of_readings(0));
    assert_eq!(
        decode_chunk(&bytes[..bytes.len() / 2]),
        Err(CodecError("truncated"))
    );
}

#[test]
fn a_day_of_hour_skeletons_is_written_in_columns_at_under_three_bytes_a_point() {
    use crate::domain::rollup::skeleton;
    let start = 1_764_633_600_000;
    let day: Vec<ChunkRecord> = (0..24)
        .flat_map(|hour| an_hour_of_readings(start + hour * Millis::HOUR))
        .collect();
    let kept = skeleton(&day, Millis::HOUR);
    let points: usize = kept.iter().map(|r| r.values.len()).sum();
    let bytes = encode_chunk(&kept);
    let per_point = bytes.len() as f64 / points as f64;
    // 3,072 points: 8,160 bytes in columns, 11,530 in rows.
    println!(
        "{points} points: {} bytes in columns, {} in rows",
        bytes.len(),
        encode_rows(&kept).len()
    );
    assert_eq!(bytes[0], COLUMNS_FORMAT);
    assert!(per_point < 3.0, "{per_point} bytes a point");
    assert!(same(&kept, &decode_chunk(&bytes).unwrap()));
}

#[test]
fn a_day_of_the_fleets_readings_rolls_up_in_under_a_byte_a_point() {
    use crate::domain::rollup::{skeleton, Level};
    let start = 1_764_633_600_000;
    let day: Vec<ChunkRecord> = (0..24)
        .flat_map(|hour| an_hour_of_readings(start + hour * Millis::HOUR))
        .collect();
    let points: usize = day.iter().map(|r| r.values.len()).sum();
    let mut rollups = 0;
    for level in [Level::TenMinutes, Level::Hours, Level::Days] {
        let bytes = encode_chunk(&skeleton(&day, level.span())).len();
        // Ten minutes 32,226 bytes, hours 8,160, the day 530: 0.89 a point.
        println!("{level:?}: {bytes} bytes");
        rollups += bytes;
    }
    let per_point = rollups as f64 / points as f64;
    println!("{per_point:.2} bytes of rollups a point");
    assert!(per_point < 1.0, "{per_point} bytes a point");
}
