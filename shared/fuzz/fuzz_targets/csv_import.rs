//! Fuzzes the CSV import parser: any bytes, fed in chunks as the `files` Lambda reads an
//! S3 object, are either refused or read without a panic, to the same rows as the lines
//! read whole; a strict import that succeeds
//! agrees with a skipping one; and every file accepted, exported again, imports back to
//! the very same channels, instants and values (numbers bit for bit).

#![no_main]

use fieldcloud::domain::csv::{
    import, CsvExport, ImportLimits, Imported, Lines, OnBadLine, StreamedImport,
};
use fieldcloud::domain::record::{Millis, Value};
use fieldcloud::domain::settings::TimeZone;
use libfuzzer_sys::fuzz_target;

const LIMITS: ImportLimits = ImportLimits {
    max_channels: 32,
    max_rows: 1_000,
};

fn same_values(a: &[Option<Value>], b: &[Option<Value>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => x.same_bits(y),
            (None, None) => true,
            _ => false,
        })
}

fn same_rows(a: &Imported, b: &Imported) -> bool {
    a.channels == b.channels
        && a.rows.len() == b.rows.len()
        && a.rows
            .iter()
            .zip(&b.rows)
            .all(|(x, y)| x.t == y.t && same_values(&x.values, &y.values))
}

/// `bytes` read as the `files` function reads an S3 object, in ranges (of a size the
/// first byte picks), up to the first error that stops the reading.
fn streamed(bytes: &[u8]) -> Lines {
    let chunk = usize::from(bytes.first().copied().unwrap_or(1)).max(1);
    let mut stream = StreamedImport::new(LIMITS, Millis(i64::MAX));
    let mut out = Vec::new();
    let fatal = |lines: &Lines| {
        lines
            .iter()
            .any(|line| line.as_ref().is_err_and(|e| e.problem.is_fatal()))
    };
    for piece in bytes.chunks(chunk) {
        let lines = stream.push(piece);
        let stop = fatal(&lines);
        out.extend(lines);
        if stop {
            return out;
        }
    }
    out.extend(stream.finish().0);
    out
}

fuzz_target!(|bytes: &[u8]| {
    // Any bytes, UTF-8 or not, cut anywhere: read or refused, never a panic.
    let streamed = streamed(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let skipping = import(text.split('\n'), LIMITS, OnBadLine::Skip);
    if let Ok(strict) = import(text.split('\n'), LIMITS, OnBadLine::Abort) {
        let skipping = skipping.as_ref().expect("a file read strictly reads skipping");
        assert_eq!(skipping.skipped_count, 0);
        assert!(same_rows(&strict, skipping));
        // Streamed, the same rows.
        let rows: Vec<_> = streamed
            .into_iter()
            .map(|line| line.expect("a file read strictly streams without errors"))
            .collect();
        assert_eq!(rows.len(), strict.rows.len());
        assert!(rows
            .iter()
            .zip(&strict.rows)
            .all(|(x, y)| x.t == y.t && same_values(&x.values, &y.values)));
    }
    let Ok(imported) = skipping else {
        return;
    };
    if imported.rows.is_empty() {
        return;
    }
    // A zone with a half-hour offset and DST, so the offsets written vary.
    let zone = TimeZone::parse("Australia/Adelaide").expect("a zone of the database");
    let headings: Vec<String> = imported.channels.iter().map(|c| c.to_string()).collect();
    let mut file = String::new();
    let export = CsvExport::start(&zone, &headings, &mut file);
    for row in &imported.rows {
        export.row(row.t, &row.values, &mut file);
    }
    let again = import(file.lines(), LIMITS, OnBadLine::Abort)
        .unwrap_or_else(|e| panic!("an export imports back: {e}\n{file}"));
    assert!(same_rows(&imported, &again), "{file}");
});
