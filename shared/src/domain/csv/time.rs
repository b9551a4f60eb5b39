//! The time column: what import reads and what export writes.
//!
//! Import takes an RFC 3339 time (the ISO 8601 profile with a mandatory offset:
//! `2026-12-02T10:00:00+09:00`, `2026-12-02T01:00:00.250Z`) or whole milliseconds since
//! 1970-01-01T00:00:00Z. A time without an offset is refused: it would name a different
//! instant in every zone. Export writes the first form in the requester's zone, with the
//! zone's offset at that instant, so every line names one instant even across a DST change.

use chrono::{DateTime, Datelike, SecondsFormat};

use crate::domain::protocol::EARLIEST_RECORD;
use crate::domain::record::Millis;

/// Why a time cell was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeProblem {
    #[error("\"{0}\" is not a time; write ISO 8601 with an offset (2026-12-02T10:00:00+09:00 or 2026-12-02T01:00:00Z) or milliseconds since 1970-01-01T00:00:00Z")]
    NotATime(String),
    #[error("\"{0}\" is finer than a millisecond; times are stored to the millisecond")]
    FinerThanMillis(String),
    #[error("\"{0}\" is before 2000-01-01; is the instrument clock set?")]
    TooEarly(String),
}

/// Reads a time cell (see the module comment).
pub fn parse_time(text: &str) -> Result<Millis, TimeProblem> {
    let is_integer = {
        let digits = text.strip_prefix('-').unwrap_or(text);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let t = if is_integer {
        text.parse::<i64>()
            .map(Millis)
            .map_err(|_| TimeProblem::NotATime(text.to_owned()))?
    } else {
        let time = DateTime::parse_from_rfc3339(text)
            .map_err(|_| TimeProblem::NotATime(text.to_owned()))?;
        if time.timestamp_subsec_nanos() % 1_000_000 != 0 {
            return Err(TimeProblem::FinerThanMillis(text.to_owned()));
        }
        Millis(time.timestamp_millis())
    };
    if t < EARLIEST_RECORD {
        return Err(TimeProblem::TooEarly(text.to_owned()));
    }
    Ok(t)
}

/// Writes a time cell in `zone`: to the second, or to the millisecond when it has any.
/// An instant past the year 9999, which RFC 3339's four-digit years cannot name, is
/// written as epoch milliseconds, which import reads back all the same; no clock that
/// ingest accepts gets there, but the round trip holds for every instant.
pub fn format_time(t: Millis, zone: chrono_tz::Tz) -> String {
    let local = DateTime::from_timestamp_millis(t.0)
        .map(|utc| utc.with_timezone(&zone))
        .filter(|local| (0..=9999).contains(&local.year()));
    match local {
        Some(local) => {
            let precision = if t.0.rem_euclid(Millis::SECOND) == 0 {
                SecondsFormat::Secs
            } else {
                SecondsFormat::Millis
            };
            local.to_rfc3339_opts(precision, false)
        }
        None => t.0.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_fractions_and_epoch_millis_name_the_same_instant() {
        let t = Millis(1_764_637_200_000); // 2025-12-02T01:00:00Z
        for text in [
            "2025-12-02T10:00:00+09:00",
            "2025-12-02T01:00:00Z",
            "2025-12-02T01:00:00.000Z",
            "2025-12-01T19:30:00-05:30",
            "1764637200000",
        ] {
            assert_eq!(parse_time(text), Ok(t), "{text}");
        }
        assert_eq!(parse_time("2025-12-02T01:00:00.25Z"), Ok(t.plus(250)));
    }

    #[test]
    fn a_time_without_an_offset_or_finer_than_millis_or_before_2000_is_refused() {
        assert!(matches!(
            parse_time("2025-12-02T10:00:00"),
            Err(TimeProblem::NotATime(_))
        ));
        assert!(matches!(
            parse_time("2025-12-02T01:00:00.0001Z"),
            Err(TimeProblem::FinerThanMillis(_))
        ));
        assert!(matches!(
            parse_time("1999-12-31T23:59:59.999Z"),
            Err(TimeProblem::TooEarly(_))
        ));
        assert!(matches!(parse_time("-5"), Err(TimeProblem::TooEarly(_))));
        assert_eq!(parse_time("2000-01-01T00:00:00Z"), Ok(EARLIEST_RECORD));
        assert!(matches!(
            parse_time("99999999999999999999"),
            Err(TimeProblem::NotATime(_))
        ));
    }

    #[test]
    fn export_writes_the_zone_offset_of_each_instant_across_dst() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-03-29T00:59:59Z is 01:59:59 CET; a second later it is 03:00:00 CEST.
        assert_eq!(
            format_time(Millis(1_774_745_999_000), berlin),
            "2026-03-29T01:59:59+01:00"
        );
        assert_eq!(
            format_time(Millis(1_774_746_000_000), berlin),
            "2026-03-29T03:00:00+02:00"
        );
        assert_eq!(
            format_time(Millis(1_774_746_000_007), chrono_tz::Asia::Kolkata),
            "2026-03-29T06:30:00.007+05:30"
        );
        assert_eq!(
            format_time(Millis(1_774_746_000_000), chrono_tz::UTC),
            "2026-03-29T01:00:00+00:00"
        );
    }

    #[test]
    fn an_instant_past_the_year_9999_is_written_as_epoch_millis_and_reads_back() {
        let tokyo = chrono_tz::Asia::Tokyo;
        let last = parse_time("9999-12-31T23:59:59.999+00:00").unwrap();
        // In Tokyo that instant is already in the year 10000.
        assert_eq!(format_time(last, tokyo), last.0.to_string());
        for t in [last, Millis(i64::MAX)] {
            assert_eq!(parse_time(&format_time(t, tokyo)), Ok(t));
        }
        let utc_last = format_time(last, chrono_tz::UTC);
        assert_eq!(utc_last, "9999-12-31T23:59:59.999+00:00");
    }
}
