//! Account settings with rules of their own: the time zone people read times in, the
//! language notifications are written in, and the logo the portal shows.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A language of notifications and of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    ChineseSimplified,
    #[serde(rename = "ja")]
    Japanese,
    #[default]
    #[serde(rename = "en")]
    English,
    #[serde(rename = "es")]
    Spanish,
    #[serde(rename = "fr")]
    French,
    #[serde(rename = "de")]
    German,
    #[serde(rename = "it")]
    Italian,
}

impl Language {
    pub const ALL: [Language; 7] = [
        Language::ChineseSimplified,
        Language::Japanese,
        Language::English,
        Language::Spanish,
        Language::French,
        Language::German,
        Language::Italian,
    ];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::ChineseSimplified => "zh-CN",
            Language::Japanese => "ja",
            Language::English => "en",
            Language::Spanish => "es",
            Language::French => "fr",
            Language::German => "de",
            Language::Italian => "it",
        }
    }

    pub fn parse(tag: &str) -> Result<Language, String> {
        Language::ALL
            .into_iter()
            .find(|l| l.tag() == tag)
            .ok_or_else(|| {
                let tags: Vec<&str> = Language::ALL.iter().map(|l| l.tag()).collect();
                format!("unknown language `{tag}`; use one of {}", tags.join(", "))
            })
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// An IANA time zone name (`Asia/Shanghai`, `Europe/Berlin`, `UTC`), checked against the
/// time zone database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(String);

impl TimeZone {
    pub fn parse(name: &str) -> Result<TimeZone, String> {
        name.parse::<chrono_tz::Tz>()
            .map(|tz| TimeZone(tz.name().to_owned()))
            .map_err(|_| {
                format!("unknown time zone `{name}`; use an IANA name such as Asia/Shanghai")
            })
    }

    pub fn utc() -> TimeZone {
        TimeZone("UTC".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone to compute with. Only [`TimeZone::parse`]d names are stored, so the
    /// fallback to UTC is for a name a later database no longer knows.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0.parse().unwrap_or(chrono_tz::UTC)
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(name: String) -> Result<TimeZone, String> {
        TimeZone::parse(&name)
    }
}

impl From<TimeZone> for String {
    fn from(zone: TimeZone) -> String {
        zone.0
    }
}

/// An account's logo: a raster image the portal shows. SVG is refused: it can carry
/// scripts, and the portal would serve it from its own origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 64 * 1024;

impl Logo {
    /// A logo from an image's bytes; the format is read from the bytes themselves, not
    /// from what the client claims.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Logo, String> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(format!(
                "the logo is {} bytes; at most {MAX_LOGO_BYTES} are accepted",
                bytes.len()
            ));
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            "image/webp"
        } else {
            return Err("the logo must be a PNG, JPEG or WebP image".into());
        };
        Ok(Logo {
            content_type,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_the_seven_of_the_spec_and_round_trip() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.tag()), Ok(language));
            assert_eq!(
                serde_json::to_value(language).unwrap(),
                serde_json::json!(language.tag())
            );
        }
        assert_eq!(
            Language::parse("zh").unwrap_err(),
            "unknown language `zh`; use one of zh-CN, ja, en, es, fr, de, it"
        );
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert_eq!(
            TimeZone::parse("Asia/Shanghai").unwrap().as_str(),
            "Asia/Shanghai"
        );
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::utc());
        for bad in ["Mars/Olympus", "", "+08:00"] {
            assert!(TimeZone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_logo_is_known_by_its_bytes() {
        let png = b"\x89PNG\r\n\x1a\n rest".to_vec();
        assert_eq!(Logo::from_bytes(png).unwrap().content_type, "image/png");
        assert_eq!(
            Logo::from_bytes(vec![0xFF, 0xD8, 0xFF, 0xE0])
                .unwrap()
                .content_type,
            "image/jpeg"
        );
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>".to_vec();
        assert!(Logo::from_bytes(svg).is_err());
        let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
        huge.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(Logo::from_bytes(huge)
            .unwrap_err()
            .contains("at most 65536"));
    }
}
