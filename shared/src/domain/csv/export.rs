//! Writes rows as CSV a spreadsheet opens as it is, a chunk at a time, so an export of
//! any range streams to S3 in bounded memory.
//!
//! The file starts with a UTF-8 byte order mark, without which Excel reads UTF-8 as the
//! local code page and garbles channel names like `炉温`. Lines end in CRLF, as RFC 4180
//! says and as Excel and Notepad on Windows expect; import reads LF as well.

use super::time::format_time;
use super::value::push_value;
use crate::domain::record::{Millis, Value};
use crate::domain::settings::TimeZone;

/// The byte order mark that makes Excel read the file as UTF-8.
const BOM: char = '\u{feff}';
const LINE_END: &str = "\r\n";

/// One CSV file being written: its time zone and its number of channel columns.
#[derive(Debug)]
pub struct CsvExport {
    zone: chrono_tz::Tz,
    channels: usize,
}

impl CsvExport {
    /// Starts a file: writes the byte order mark and the header `time,<channel>,...` to
    /// `out`, each channel as given (`gw-1/LR8450-1/CH1`, `calc:power`), quoted if need be.
    pub fn start<S: AsRef<str>>(zone: &TimeZone, channels: &[S], out: &mut String) -> CsvExport {
        out.push(BOM);
        out.push_str("time");
        for channel in channels {
            out.push(',');
            push_field(channel.as_ref(), out);
        }
        out.push_str(LINE_END);
        CsvExport {
            zone: zone.tz(),
            channels: channels.len(),
        }
    }

    /// Writes one line to `out`: the time in the file's zone, then one cell per channel
    /// (empty for no value). The caller hands over as many values as there are channels.
    pub fn row(&self, t: Millis, values: &[Option<Value>], out: &mut String) {
        assert_eq!(
            values.len(),
            self.channels,
            "a row has one value (or none) per channel of the header"
        );
        out.push_str(&format_time(t, self.zone));
        for value in values {
            out.push(',');
            push_value(value.as_ref(), out);
        }
        out.push_str(LINE_END);
    }
}

/// Writes a field, quoted when it holds a comma, a quote, a line break or surrounding
/// spaces (which a reader may trim), with each quote doubled (RFC 4180).
fn push_field(text: &str, out: &mut String) {
    let needs_quotes = text.contains([',', '"', '\r', '\n'])
        || text.starts_with([' ', '\t'])
        || text.ends_with([' ', '\t'])
        || text.is_empty();
    if needs_quotes {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::Special;

    #[test]
    fn a_file_has_a_bom_a_quoted_header_and_crlf_lines() {
        let mut out = String::new();
        let zone = TimeZone::parse("Asia/Tokyo").unwrap();
        let export = CsvExport::start(
            &zone,
            &["gw-1/LR8450-1/CH1", "a,\"b\"", "calc:power"],
            &mut out,
        );
        export.row(
            Millis(1_764_637_200_000),
            &[
                Some(Value::Number(-0.0)),
                None,
                Some(Value::Special(Special::PlusOver)),
            ],
            &mut out,
        );
        export.row(
            Millis(1_764_637_200_500),
            &[Some(Value::Number(21.5)), Some(Value::Number(1e-7)), None],
            &mut out,
        );
        assert_eq!(
            out,
            "\u{feff}time,gw-1/LR8450-1/CH1,\"a,\"\"b\"\"\",calc:power\r\n\
             2025-12-02T10:00:00+09:00,-0,,+OVER\r\n\
             2025-12-02T10:00:00.500+09:00,21.5,1e-7,\r\n"
        );
    }
}
