//! Exports as someone receives them: the ZIP opened by an independent reader (the `zip`
//! crate), each CSV imported back by the CSV layer to the very same bits, parts split
//! where Excel needs them, names safe, the channel limit held, ZIP64 where it must be.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use proptest::prelude::*;

use super::*;
use crate::domain::csv::{import, ImportLimits, Imported, OnBadLine};
use crate::domain::record::{Millis, Special, Value};
use crate::domain::settings::TimeZone;

/// 2025-12-02T10:00:00+09:00.
const T0: Millis = Millis(1_764_637_200_000);

fn tokyo() -> TimeZone {
    TimeZone::parse("Asia/Tokyo").unwrap()
}

/// The ZIP's files, by name, as an independent reader sees them.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("a readable entry");
            assert_eq!(file.compression(), ::zip::CompressionMethod::Deflated);
            let mut text = String::new();
            file.read_to_string(&mut text)
                .expect("DEFLATE data whose CRC-32 matches");
            (file.name().expect("a UTF-8 name").into_owned(), text)
        })
        .collect()
}

fn import_all(text: &str) -> Imported {
    let limits = ImportLimits {
        max_channels: MAX_CHANNELS,
        max_rows: MAX_ROWS_PER_PART,
    };
    // Split at LF only, as a byte stream would be: the importer drops the CR itself.
    import(text.split('\n'), limits, OnBadLine::Abort).expect("an export imports back")
}

/// Whether two rows hold the same bits, `-0` and missing values included.
fn same_values(got: &[Option<Value>], sent: &[Option<Value>]) -> bool {
    got.len() == sent.len()
        && got.iter().zip(sent).all(|pair| match pair {
            (Some(a), Some(b)) => a.same_bits(b),
            (None, None) => true,
            _ => false,
        })
}

#[test]
fn an_export_opens_with_another_reader_and_imports_back_to_the_same_bits() {
    let rows: Vec<(Millis, Vec<Option<Value>>)> = vec![
        (
            T0,
            vec![
                Some(Value::Number(-0.0)),
                Some(Value::Number(5e-324)),
                Some(Value::Number(1e-300)),
            ],
        ),
        (
            T0.plus(500),
            vec![
                Some(Value::Number(f64::MIN_POSITIVE / 4.0)),
                None,
                Some(Value::Special(Special::PlusOver)),
            ],
        ),
        (
            T0.plus(1_000),
            vec![
                Some(Value::Special(Special::MinusOver)),
                Some(Value::Special(Special::Burnout)),
                Some(Value::Special(Special::Error)),
            ],
        ),
        (
            T0.plus(2_000),
            vec![Some(Value::Number(23.41)), Some(Value::Number(1e300)), None],
        ),
    ];
    let channels = ["gw-1/LR8450-1/炉温, °C", "gw-1/LR8450-1/CH2", "calc:power"];
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0);
    export.start_csv("plant", &channels).unwrap();
    for (t, values) in &rows {
        export.row(*t, values).unwrap();
    }
    export.start_csv("炉 2", &["CH1"]).unwrap();
    export.row(T0, &[Some(Value::Number(0.1))]).unwrap();
    let (bytes, summary) = export.finish().unwrap();

    assert_eq!(summary.files, ["plant.csv", "炉 2.csv"]);
    assert_eq!(summary.rows, 5);
    assert_eq!(summary.bytes, bytes.len() as u64);
    let files = unzip(&bytes);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["plant.csv", "炉 2.csv"]);
    let plant = &files[0].1;
    assert!(plant.starts_with("\u{feff}time,\"gw-1/LR8450-1/炉温, °C\",gw-1/LR8450-1/CH2,calc:power\r\n2025-12-02T10:00:00+09:00,-0,5e-324,1e-300\r\n"), "{plant}");
    let imported = import_all(plant);
    let headings: Vec<String> = imported.channels.iter().map(|c| c.to_string()).collect();
    assert_eq!(headings, channels);
    assert_eq!(imported.rows.len(), rows.len());
    for (got, (t, sent)) in imported.rows.iter().zip(&rows) {
        assert_eq!(got.t, *t);
        assert!(
            same_values(&got.values, sent),
            "{sent:?} came back as {:?}",
            got.values
        );
    }
    assert_eq!(
        files[1].1,
        "\u{feff}time,CH1\r\n2025-12-02T10:00:00+09:00,0.1\r\n"
    );
}

#[test]
fn an_export_may_be_held_across_awaits_on_any_thread() {
    fn send<T: Send>() {}
    send::<ExportZip<Vec<u8>>>();
}

#[test]
fn the_files_carry_the_requests_local_time() {
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0.plus(59_000));
    export.start_csv("plant", &["CH1"]).unwrap();
    let (bytes, _) = export.finish().unwrap();
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let modified = archive.by_index(0).unwrap().last_modified().unwrap();
    let shown = (
        modified.year(),
        modified.month(),
        modified.day(),
        modified.hour(),
        modified.minute(),
        modified.second(),
    );
    // 10:00:59 in Tokyo; ZIP keeps local time to two seconds.
    assert_eq!(shown, (2025, 12, 2, 10, 0, 58));
}

#[test]
fn a_csv_of_exactly_the_part_limit_is_one_file_and_one_row_more_starts_part_2() {
    let write = |rows: i64| {
        let mut export = ExportZip::with_rows_per_part(Vec::new(), &tokyo(), T0, 3);
        export.start_csv("plant", &["CH1"]).unwrap();
        for k in 0..rows {
            export
                .row(T0.plus(k * 1_000), &[Some(Value::Number(k as f64))])
                .unwrap();
        }
        let (bytes, summary) = export.finish().unwrap();
        let files = unzip(&bytes);
        assert_eq!(
            summary.files,
            files
                .iter()
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>()
        );
        files
    };
    let names = |files: &[(String, String)]| {
        files
            .iter()
            .map(|(name, text)| (name.clone(), import_all(text).rows.len()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&write(3)), [("plant.csv".to_owned(), 3)]);
    let split = write(7);
    assert_eq!(
        names(&split),
        [
            ("plant.csv".to_owned(), 3),
            ("plant-part2.csv".to_owned(), 3),
            ("plant-part3.csv".to_owned(), 1)
        ]
    );
    // Every part is a whole file: header included, rows going on where the last ended.
    let third = import_all(&split[2].1);
    assert_eq!(third.channels[0].to_string(), "CH1");
    assert_eq!(third.rows[0].t, T0.plus(6_000));
}

#[test]
fn a_part_is_a_million_rows_which_excel_shows_whole() {
    assert_eq!(MAX_ROWS_PER_PART, 1_000_000);
    // The header is a line too, and Excel's sheet has 1,048,576.
    const { assert!(MAX_ROWS_PER_PART < 1_048_576) };
}

#[test]
fn given_names_are_made_safe_to_unpack() {
    for (given, safe) in [
        ("plant", "plant"),
        ("../../etc/passwd", "_._etc_passwd"),
        ("..\\boot.ini", "_boot.ini"),
        ("a/b\\c:d*e?f\"g<h>i|j", "a_b_c_d_e_f_g_h_i_j"),
        ("line\nbreak\ttab\u{0}", "line_break_tab_"),
        ("report\u{202E}vsc.exe", "report_vsc.exe"),
        (" .hidden. ", "hidden"),
        ("a...b", "a.b"),
        ("Report.CSV", "Report"),
        ("CON", "_CON"),
        ("lpt1.backup", "_lpt1.backup"),
        ("炉温 2026-12", "炉温 2026-12"),
    ] {
        assert_eq!(safe_base_name(given).unwrap(), safe, "{given:?}");
    }
    let long = "é".repeat(80);
    assert_eq!(safe_base_name(&long).unwrap(), "é".repeat(50));
    for refused in ["", "  ", "..", ".", ". . .", ".csv"] {
        assert!(
            matches!(safe_base_name(refused), Err(ExportError::BadName(_))),
            "{refused:?}"
        );
    }
}

#[test]
fn another_reader_unpacks_each_named_file_into_the_folder_itself() {
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0);
    let given = [
        "../../up",
        "C:\\Windows\\x",
        "/etc/passwd",
        "a\u{0}b",
        "..\\..\\.ssh",
    ];
    for name in given {
        export.start_csv(name, &["CH1"]).unwrap();
    }
    let (bytes, summary) = export.finish().unwrap();
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    for (i, name) in summary.files.iter().enumerate() {
        let file = archive.by_index(i).unwrap();
        let path = file.enclosed_name().expect("a path inside the folder");
        assert_eq!(path, std::path::Path::new(name), "{:?}", given[i]);
        assert_eq!(path.components().count(), 1, "{name}");
    }
}

#[test]
fn a_name_the_zip_has_already_is_refused_ignoring_case_and_parts() {
    let mut export = ExportZip::with_rows_per_part(Vec::new(), &tokyo(), T0, 1);
    export.start_csv("a/b", &["CH1"]).unwrap();
    export.row(T0, &[None]).unwrap();
    export.row(T0.plus(1), &[None]).unwrap();
    for taken in ["a_b", "A\\B", "a_b-PART2"] {
        let error = export.start_csv(taken, &["CH2"]).unwrap_err();
        assert!(
            matches!(error, ExportError::DuplicateFile(_)),
            "{taken}: {error}"
        );
    }
    // The refusals left the file going on.
    export.row(T0.plus(2), &[Some(Value::Number(1.0))]).unwrap();
    let (bytes, summary) = export.finish().unwrap();
    assert_eq!(summary.files, ["a_b.csv", "a_b-part2.csv", "a_b-part3.csv"]);
    assert_eq!(unzip(&bytes).len(), 3);
}

#[test]
fn more_than_32_channels_in_all_are_refused_naming_the_limit() {
    let names = |from: usize, to: usize| (from..=to).map(|c| format!("CH{c}")).collect::<Vec<_>>();
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0);
    let error = export.start_csv("all", &names(1, 33)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "an export holds at most 32 channels; this one asks for 33"
    );
    export.start_csv("first", &names(1, 20)).unwrap();
    // A channel in two files counts once.
    export.start_csv("second", &names(9, 32)).unwrap();
    let error = export.start_csv("third", &names(30, 33)).unwrap_err();
    assert!(matches!(error, ExportError::TooManyChannels { count: 33 }));
    let (_, summary) = export.finish().unwrap();
    assert_eq!(summary.files, ["first.csv", "second.csv"]);
}

#[test]
fn a_file_without_channels_with_a_channel_twice_or_a_bad_heading_is_refused() {
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0);
    let none: [&str; 0] = [];
    assert!(matches!(
        export.start_csv("a", &none),
        Err(ExportError::NoChannels)
    ));
    assert!(matches!(
        export.start_csv("a", &["CH1", "CH1"]),
        Err(ExportError::DuplicateChannel(c)) if c == "CH1"
    ));
    assert!(matches!(
        export.start_csv("a", &["CH[1]"]),
        Err(ExportError::Channel { .. })
    ));
}

#[test]
fn a_row_before_a_file_or_of_the_wrong_width_is_refused() {
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0);
    assert!(matches!(export.row(T0, &[None]), Err(ExportError::NoFile)));
    export.start_csv("a", &["CH1", "CH2"]).unwrap();
    assert!(matches!(
        export.row(T0, &[None]),
        Err(ExportError::RowWidth {
            expected: 2,
            found: 1
        })
    ));
}

#[test]
fn more_than_65534_entries_get_zip64_end_records() {
    let entries = 70_000;
    let mut zip = ZipStream::new(Vec::new(), DosTime::of(T0, chrono_tz::UTC));
    for k in 0..entries {
        zip.start_entry(&format!("{k}.csv"), EntrySize::Small)
            .unwrap();
        zip.write(k.to_string().as_bytes()).unwrap();
    }
    let (bytes, summary) = zip.finish().unwrap();
    assert_eq!(summary.entries, entries);
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(archive.len(), entries);
    let mut last = String::new();
    archive
        .by_name("69999.csv")
        .unwrap()
        .read_to_string(&mut last)
        .unwrap();
    assert_eq!(last, "69999");
}

/// Writes `size` zero bytes into one entry, a MiB at a time.
fn zeros(zip: &mut ZipStream<Vec<u8>>, size: u64) -> Result<(), ExportError> {
    let mib = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(mib.len() as u64) as usize;
        zip.write(&mib[..n])?;
        left -= n as u64;
    }
    Ok(())
}

const OVER_4_GIB: u64 = (1 << 32) + 12_345;

#[test]
fn an_entry_started_large_passes_4_gib_and_reads_back() {
    let mut zip = ZipStream::new(Vec::new(), DosTime::of(T0, chrono_tz::UTC));
    zip.start_entry("small.csv", EntrySize::Small).unwrap();
    zip.write(b"before").unwrap();
    zip.start_entry("large.csv", EntrySize::Large).unwrap();
    zeros(&mut zip, OVER_4_GIB).unwrap();
    zip.start_entry("after.csv", EntrySize::Small).unwrap();
    zip.write(b"after").unwrap();
    let (bytes, _) = zip.finish().unwrap();
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut large = archive.by_name("large.csv").unwrap();
    assert_eq!(large.size(), OVER_4_GIB);
    // Reading to the end checks the CRC-32.
    let read = std::io::copy(&mut large, &mut std::io::sink()).unwrap();
    assert_eq!(read, OVER_4_GIB);
    drop(large);
    let mut after = String::new();
    archive
        .by_name("after.csv")
        .unwrap()
        .read_to_string(&mut after)
        .unwrap();
    assert_eq!(after, "after");
}

#[test]
fn an_entry_started_small_that_would_pass_4_gib_is_refused_and_the_archive_with_it() {
    let mut zip = ZipStream::new(Vec::new(), DosTime::of(T0, chrono_tz::UTC));
    zip.start_entry("plant.csv", EntrySize::Small).unwrap();
    let error = zeros(&mut zip, OVER_4_GIB).unwrap_err();
    assert_eq!(
        error.to_string(),
        "plant.csv passed 4 GiB, but was started without ZIP64 headers"
    );
    assert!(matches!(zip.write(b"more"), Err(ExportError::Broken)));
    assert!(matches!(zip.finish(), Err(ExportError::Broken)));
}

#[test]
fn a_part_of_a_million_rows_of_32_channels_stays_within_classic_zip() {
    let mut export = ExportZip::new(Vec::new(), &tokyo(), T0);
    let channels: Vec<String> = (1..=32)
        .map(|c| format!("gw-1/LR8450-1/{}", "\"".repeat(60) + &c.to_string()))
        .collect();
    export.start_csv("plant", &channels).unwrap();
    let (bytes, _) = export.finish().unwrap();
    // The local header's version: 2.0, not ZIP64's 4.5.
    assert_eq!(&bytes[4..6], &20u16.to_le_bytes());
}

proptest! {
    /// Every cell fits the bound a part's size is judged by: time with milliseconds in a
    /// zone with an offset, and numbers of any bits.
    #[test]
    fn no_row_is_longer_than_the_bound_parts_are_sized_by(
        t in Millis::SECOND..4_102_444_800_000i64,
        bits in proptest::collection::vec(any::<u64>(), 32),
    ) {
        let values: Vec<Option<Value>> = bits
            .into_iter()
            .map(|b| Value::finite(f64::from_bits(b)).or(Some(Value::Number(-2.2250738585072014e-308))))
            .collect();
        let zone = TimeZone::parse("Asia/Kolkata").unwrap();
        let mut line = String::new();
        let headings: Vec<String> = (1..=32).map(|c| format!("CH{c}")).collect();
        let csv = crate::domain::csv::CsvExport::start(&zone, &headings, &mut line);
        line.clear();
        csv.row(Millis(t), &values, &mut line);
        let bound = csv_zip::MAX_TIME_BYTES + 32 * (1 + csv_zip::MAX_VALUE_BYTES) + 2;
        prop_assert!(line.len() as u64 <= bound, "{}", line);
    }
}

fn value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(Special::ALL.to_vec()).prop_map(|s| Some(Value::Special(s))),
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter_map("a measurement is finite", Value::finite)
            .prop_map(Some),
        (1u64..1 << 52).prop_map(|bits| Some(Value::Number(f64::from_bits(bits)))),
        (-100_000i64..100_000).prop_map(|c| Some(Value::Number(c as f64 / 100.0))),
    ]
}

proptest! {
    #[test]
    fn random_rows_come_back_from_the_zip_in_order_across_parts(
        width in 1usize..6,
        rows_per_part in 1usize..5,
        steps in proptest::collection::vec(1i64..100_000, 0..15),
        cells in proptest::collection::vec(value(), 15 * 6),
        zone in proptest::sample::select(vec!["UTC", "Europe/Berlin", "Asia/Kolkata", "Pacific/Chatham"]),
    ) {
        let zone = TimeZone::parse(zone).unwrap();
        let headings: Vec<String> = (1..=width).map(|c| format!("gw-1/LR-1/CH {c}")).collect();
        let mut t = T0;
        let rows: Vec<(Millis, Vec<Option<Value>>)> = steps
            .iter()
            .enumerate()
            .map(|(k, step)| {
                t = t.plus(*step);
                (t, cells[k * width..(k + 1) * width].to_vec())
            })
            .collect();
        let mut export = ExportZip::with_rows_per_part(Vec::new(), &zone, T0, rows_per_part);
        export.start_csv("random", &headings).unwrap();
        for (t, values) in &rows {
            export.row(*t, values).unwrap();
        }
        let (bytes, summary) = export.finish().unwrap();
        let files = unzip(&bytes);
        prop_assert_eq!(files.len(), rows.len().div_ceil(rows_per_part).max(1));
        prop_assert_eq!(summary.rows, rows.len() as u64);
        let mut back = Vec::new();
        for (_, text) in &files {
            if rows.is_empty() {
                prop_assert_eq!(text, &format!("\u{feff}time,{}\r\n", headings.join(",")));
                continue;
            }
            let imported = import_all(text);
            let got: Vec<String> = imported.channels.iter().map(|c| c.to_string()).collect();
            prop_assert_eq!(&got, &headings);
            back.extend(imported.rows);
        }
        prop_assert_eq!(back.len(), rows.len());
        for (got, (t, sent)) in back.iter().zip(&rows) {
            prop_assert_eq!(got.t, *t);
            prop_assert!(same_values(&got.values, sent), "{:?} came back as {:?}", sent, got.values);
        }
    }
}

/// An archive behind `zeros` zero bytes that are never stored: how a reader sees an
/// archive whose last entries and directory lie past 4 GiB.
struct AfterZeros {
    zeros: u64,
    archive: Vec<u8>,
    at: u64,
}

impl Read for AfterZeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = if self.at < self.zeros {
            let n = buf.len().min((self.zeros - self.at) as usize);
            buf[..n].fill(0);
            n
        } else {
            let from = ((self.at - self.zeros) as usize).min(self.archive.len());
            let n = buf.len().min(self.archive.len() - from);
            buf[..n].copy_from_slice(&self.archive[from..from + n]);
            n
        };
        self.at += n as u64;
        Ok(n)
    }
}

impl Seek for AfterZeros {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let end = self.zeros + self.archive.len() as u64;
        self.at = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(back) => end.checked_add_signed(back),
            SeekFrom::Current(by) => self.at.checked_add_signed(by),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "before the start"))?;
        Ok(self.at)
    }
}

#[test]
fn entries_and_a_directory_past_4_gib_are_found_through_zip64_records() {
    let zeros = 5 << 30;
    let mut zip = ZipStream::after(Vec::new(), DosTime::of(T0, chrono_tz::UTC), zeros);
    zip.start_entry("plant.csv", EntrySize::Small).unwrap();
    zip.write(b"time,CH1\r\n").unwrap();
    zip.start_entry("plant-part2.csv", EntrySize::Small)
        .unwrap();
    zip.write(b"more").unwrap();
    let (archive, summary) = zip.finish().unwrap();
    assert_eq!(summary.bytes, zeros + archive.len() as u64);
    let file = AfterZeros {
        zeros,
        archive,
        at: 0,
    };
    let mut archive = ::zip::ZipArchive::new(file).expect("a readable ZIP64 archive");
    assert_eq!(archive.len(), 2);
    let mut part2 = archive.by_name("plant-part2.csv").unwrap();
    assert!(part2.header_start() > u64::from(u32::MAX));
    let mut text = String::new();
    part2.read_to_string(&mut text).unwrap();
    assert_eq!(text, "more");
}
