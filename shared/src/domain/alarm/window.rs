//! The hours an alarm may raise in, on the wall clock of the account's time zone. A
//! window whose end is before its start runs across midnight (22:00–06:00).

use chrono::Timelike;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::record::Millis;

/// From `from` (included) to `to` (excluded), in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "WindowText", into = "WindowText")]
pub struct Window {
    from: u16,
    to: u16,
}

/// A window as the API writes it: `{"from": "22:00", "to": "06:00"}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowText {
    pub from: String,
    pub to: String,
}

impl Window {
    pub fn parse(from: &str, to: &str) -> Result<Window, String> {
        let (from, to) = (minutes("window.from", from)?, minutes("window.to", to)?);
        if from == to {
            return Err(
                "`window`: `from` and `to` are the same time; leave the window out to be active all day"
                    .into(),
            );
        }
        Ok(Window { from, to })
    }

    /// Whether instant `at` falls in the window on the wall clock of `zone`.
    pub fn contains(&self, at: Millis, zone: &chrono_tz::Tz) -> bool {
        let Some(utc) = chrono::DateTime::from_timestamp_millis(at.0) else {
            return false;
        };
        let local = utc.with_timezone(zone);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        if self.from < self.to {
            self.from <= minute && minute < self.to
        } else {
            minute >= self.from || minute < self.to
        }
    }
}

fn minutes(field: &str, text: &str) -> Result<u16, String> {
    let bad = || format!("`{field}` must be a time of day as HH:MM (00:00 to 23:59), got `{text}`");
    let (hours, mins) = text.split_once(':').ok_or_else(bad)?;
    let digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || !digits(mins) {
        return Err(bad());
    }
    let (hours, mins): (u16, u16) = (
        hours.parse().map_err(|_| bad())?,
        mins.parse().map_err(|_| bad())?,
    );
    if hours > 23 || mins > 59 {
        return Err(bad());
    }
    Ok(hours * 60 + mins)
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl TryFrom<WindowText> for Window {
    type Error = String;
    fn try_from(text: WindowText) -> Result<Window, String> {
        Window::parse(&text.from, &text.to)
    }
}

impl From<Window> for WindowText {
    fn from(window: Window) -> WindowText {
        WindowText {
            from: hhmm(window.from),
            to: hhmm(window.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Millis {
        Millis(
            chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp_millis(),
        )
    }

    #[test]
    fn a_window_across_midnight_holds_the_late_evening_and_the_early_morning() {
        let night = Window::parse("22:00", "06:00").unwrap();
        let utc = chrono_tz::UTC;
        for (time, inside) in [
            ("2026-12-01T21:59:59Z", false),
            ("2026-12-01T22:00:00Z", true),
            ("2026-12-01T23:59:00Z", true),
            ("2026-12-02T00:00:00Z", true),
            ("2026-12-02T05:59:59Z", true),
            ("2026-12-02T06:00:00Z", false),
            ("2026-12-02T12:00:00Z", false),
        ] {
            assert_eq!(night.contains(at(time), &utc), inside, "{time}");
        }
    }

    #[test]
    fn hours_are_the_account_zones_wall_clock() {
        let office = Window::parse("09:00", "17:00").unwrap();
        let shanghai: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        // 01:00 UTC is 09:00 in Shanghai.
        assert!(office.contains(at("2026-12-01T01:00:00Z"), &shanghai));
        assert!(!office.contains(at("2026-12-01T00:59:00Z"), &shanghai));
        assert!(!office.contains(at("2026-12-01T09:00:00Z"), &shanghai));
    }

    #[test]
    fn across_a_daylight_saving_change_the_wall_clock_still_decides() {
        let morning = Window::parse("07:00", "08:00").unwrap();
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        // Summer time: 07:00 in Berlin is 05:00 UTC; winter time: 06:00 UTC.
        assert!(morning.contains(at("2026-10-24T05:30:00Z"), &berlin));
        assert!(!morning.contains(at("2026-10-24T06:30:00Z"), &berlin));
        assert!(morning.contains(at("2026-10-26T06:30:00Z"), &berlin));
        assert!(!morning.contains(at("2026-10-26T05:30:00Z"), &berlin));
    }

    #[test]
    fn windows_are_written_as_hours_and_minutes_and_bad_ones_are_named() {
        let window: Window = serde_json::from_str(r#"{"from":"22:30","to":"06:05"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&window).unwrap(),
            r#"{"from":"22:30","to":"06:05"}"#
        );
        for (from, to) in [
            ("24:00", "06:00"),
            ("7:00", "08:00"),
            ("07:60", "08:00"),
            ("+9:+5", "08:00"),
        ] {
            assert!(
                Window::parse(from, to).unwrap_err().contains("HH:MM"),
                "{from}"
            );
        }
        assert!(Window::parse("08:00", "08:00")
            .unwrap_err()
            .contains("all day"));
    }
}
