//! How users and the API name a channel: `app/instrument/channel` for a measured one,
//! `calc:{id}` for a calculated one. The two forms cannot collide: a measured reference
//! has exactly two slashes, a calculated one none.

use std::fmt;

use super::ids::{AppId, CalcId, ChannelName, IdError, InstrumentSerial};

/// A measured channel: the app it comes through, the instrument, the channel name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelRef {
    pub app: AppId,
    pub instrument: InstrumentSerial,
    pub channel: ChannelName,
}

impl ChannelRef {
    /// Parses `app/instrument/channel`.
    pub fn parse(text: &str) -> Result<ChannelRef, String> {
        let mut parts = text.splitn(3, '/');
        let (Some(app), Some(instrument), Some(channel)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "channel `{text}` must be written app/instrument/channel"
            ));
        };
        let bad = |e: IdError| format!("channel `{text}`: {e}");
        Ok(ChannelRef {
            app: AppId::parse(app).map_err(bad)?,
            instrument: InstrumentSerial::parse(instrument).map_err(bad)?,
            channel: ChannelName::parse(channel).map_err(bad)?,
        })
    }
}

impl fmt::Display for ChannelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.app, self.instrument, self.channel)
    }
}

/// Any channel a series can show (or an alarm watch), written as the API writes it.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub enum SeriesRef {
    Measured(ChannelRef),
    Calculated(CalcId),
}

impl SeriesRef {
    pub fn parse(text: &str) -> Result<SeriesRef, String> {
        match text.strip_prefix("calc:") {
            Some(id) => CalcId::parse(id)
                .map(SeriesRef::Calculated)
                .map_err(|e| format!("channel `{text}`: {e}")),
            None => ChannelRef::parse(text).map(SeriesRef::Measured),
        }
    }
}

impl TryFrom<String> for SeriesRef {
    type Error = String;
    fn try_from(text: String) -> Result<SeriesRef, String> {
        SeriesRef::parse(&text)
    }
}

impl From<SeriesRef> for String {
    fn from(channel: SeriesRef) -> String {
        channel.to_string()
    }
}

impl fmt::Display for SeriesRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeriesRef::Measured(channel) => channel.fmt(f),
            SeriesRef::Calculated(id) => write!(f, "calc:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_and_calculated_references_parse_and_print_back() {
        for text in ["gw-1/LR-1/CH 1", "calc:power-l1"] {
            assert_eq!(SeriesRef::parse(text).unwrap().to_string(), text);
        }
        assert!(matches!(
            SeriesRef::parse("calc:power-l1"),
            Ok(SeriesRef::Calculated(_))
        ));
        assert!(SeriesRef::parse("gw/LR")
            .unwrap_err()
            .contains("app/instrument/channel"));
        assert!(SeriesRef::parse("calc:Bad Id")
            .unwrap_err()
            .contains("calculated channel ID"));
    }
}
