//! Exports and imports: measurement data out of a group as a ZIP of CSV files, and a CSV
//! file of the drive into an instrument's time series. Both may take minutes, so the API
//! asks for one, the `files` function carries it out, and the job item says how far it
//! has come and how it ended.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::channel::SeriesRef;
use super::ids::{AccountId, AppId, FileId, GroupId, InstrumentSerial, JobId};
use super::protocol::EARLIEST_RECORD;
use super::record::Millis;
use super::settings::TimeZone;

/// The most channels one export holds (SPEC.md 4).
pub const MAX_EXPORT_CHANNELS: usize = super::export::MAX_CHANNELS;

/// The most records one export reads over all its instruments: what the `files` function
/// reads and compresses well inside its 15 minutes (a year of one-minute records of ten
/// instruments). A longer export fails naming the limit, before any of it is handed out.
pub const MAX_EXPORT_RECORDS: u64 = 5_300_000;

/// The most data lines one import reads: a year of one-minute lines, twice over.
pub const MAX_IMPORT_ROWS: usize = 1_100_000;

/// The most channel columns of an imported file.
pub const MAX_IMPORT_CHANNELS: usize = 1_000;

/// Exports and imports of one account waiting or running at once: the `files`
/// function runs two at a time for all accounts, so one account's burst waits at its
/// door, not in everyone's queue. A job asked for over a day ago no longer counts (it
/// ran out of attempts unseen).
pub const MAX_JOBS_WAITING: usize = 3;

/// Exports and imports one account may ask for while their items are kept (8 days):
/// what bounds the read that counts the waiting ones.
pub const MAX_JOBS_KEPT: usize = 200;

/// An export's ZIP is kept this long after it is written; its link is signed anew each
/// time the job is read.
pub const EXPORT_KEPT_DAYS: i64 = 7;

/// What a job does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSpec {
    Export(ExportSpec),
    Import(ImportSpec),
}

/// Channels of a group from `from` (included) to `to` (excluded), with times in `zone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportSpec {
    pub channels: Vec<SeriesRef>,
    pub from: Millis,
    pub to: Millis,
    pub time_zone: TimeZone,
}

/// A file of the drive into an instrument of an app of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportSpec {
    pub file: FileId,
    pub app: AppId,
    pub instrument: InstrumentSerial,
    /// Leave bad lines out (and report them) instead of storing nothing.
    pub skip_bad_lines: bool,
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running {
        /// Data lines (import) or rows (export) done.
        rows: u64,
        /// How far, 0 to 100.
        percent: u8,
    },
    Done(JobOutcome),
    Failed {
        reason: String,
    },
}

impl JobState {
    /// Whether nothing will change it any more.
    pub fn is_final(&self) -> bool {
        matches!(self, JobState::Done(_) | JobState::Failed { .. })
    }
}

/// What a finished job did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobOutcome {
    /// Rows written (export) or data lines read (import).
    pub rows: u64,
    /// Export: the CSV files in the ZIP, and its size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Import: records newly stored (a line stored before, by an earlier import of the
    /// same file, is not stored again), and the bad lines left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<u64>,
    /// The first bad lines left out, each naming its line and column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_lines: Vec<String>,
}

/// An export or import, as its item keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataJob {
    pub id: JobId,
    pub account: AccountId,
    pub group: GroupId,
    /// The user (or Web API token's user) who asked.
    pub requested_by: String,
    pub requested: Millis,
    pub spec: JobSpec,
    #[serde(flatten)]
    pub state: JobState,
    pub updated: Millis,
}

impl DataJob {
    pub fn kind(&self) -> &'static str {
        match self.spec {
            JobSpec::Export(_) => "export",
            JobSpec::Import(_) => "import",
        }
    }
}

/// What is queued for the `files` function: which job to carry out (the job item holds
/// the rest, so a message cannot ask for more than the API accepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobMessage {
    pub job: JobRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRef {
    pub account: AccountId,
    pub group: GroupId,
    pub id: JobId,
}

/// Where an export's ZIP is written: under its account and group, outside `files/` (so
/// it is not indexed as a file of the drive, nor counted as one).
pub fn export_key(account: &AccountId, group: &GroupId, id: &JobId) -> String {
    format!("exports/{account}/{group}/{id}.zip")
}

/// An instant as the API takes it: milliseconds since the epoch, or RFC 3339 text with
/// an offset.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Instant {
    Millis(i64),
    Text(String),
}

impl Instant {
    fn read(&self, field: &str) -> Result<Millis, String> {
        let t = match self {
            Instant::Millis(millis) => Millis(*millis),
            Instant::Text(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| Millis(t.timestamp_millis()))
                .map_err(|_| {
                    format!("`{field}` must be milliseconds since the epoch or RFC 3339 time such as 2026-12-01T00:00:00+09:00, got `{text}`")
                })?,
        };
        if t < EARLIEST_RECORD {
            return Err(format!(
                "`{field}` is before 2000-01-01, where no record is"
            ));
        }
        Ok(t)
    }
}

/// An export as asked for.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportDraft {
    pub channels: Vec<String>,
    pub from: Instant,
    pub to: Instant,
    /// The zone the file's times are written in; the account's when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl ExportDraft {
    /// The export it asks for, with times in `zone` unless it names one; a refusal names
    /// the field.
    pub fn check(self, account_zone: &TimeZone) -> Result<ExportSpec, String> {
        let mut channels: Vec<SeriesRef> = Vec::with_capacity(self.channels.len());
        for text in &self.channels {
            let channel = SeriesRef::parse(text).map_err(|e| format!("`channels`: {e}"))?;
            if channels.contains(&channel) {
                return Err(format!("`channels`: `{text}` is asked for twice"));
            }
            channels.push(channel);
        }
        if channels.is_empty() || channels.len() > MAX_EXPORT_CHANNELS {
            return Err(format!(
                "`channels`: an export holds 1 to {MAX_EXPORT_CHANNELS} channels, got {}",
                channels.len()
            ));
        }
        let (from, to) = (self.from.read("from")?, self.to.read("to")?);
        if from >= to {
            return Err("`from` must be before `to`".into());
        }
        let time_zone = match self.time_zone {
            Some(name) => TimeZone::parse(&name).map_err(|e| format!("`timeZone`: {e}"))?,
            None => account_zone.clone(),
        };
        Ok(ExportSpec {
            channels,
            from,
            to,
            time_zone,
        })
    }
}

/// An import as asked for.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportDraft {
    pub file: FileId,
    pub app: AppId,
    pub instrument: InstrumentSerial,
    #[serde(default)]
    pub skip_bad_lines: bool,
}

impl From<ImportDraft> for ImportSpec {
    fn from(draft: ImportDraft) -> ImportSpec {
        ImportSpec {
            file: draft.file,
            app: draft.app,
            instrument: draft.instrument,
            skip_bad_lines: draft.skip_bad_lines,
        }
    }
}

/// How far through `[from, to)` an export is at `t`, of instrument `done + 1` of
/// `instruments`: 0 to 100.
pub fn export_percent(spec: &ExportSpec, instruments: usize, done: usize, t: Millis) -> u8 {
    let span = (spec.to.0 - spec.from.0).max(1) as f64;
    let within = ((t.0 - spec.from.0) as f64 / span).clamp(0.0, 1.0);
    let whole = (done as f64 + within) / instruments.max(1) as f64;
    (whole * 100.0).floor().min(99.0) as u8
}

/// How far through a file of `size` bytes an import is after `read` of them: 0 to 100.
pub fn import_percent(read: u64, size: u64) -> u8 {
    (read.saturating_mul(100) / size.max(1)).min(99) as u8
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn draft(value: serde_json::Value) -> Result<ExportSpec, String> {
        let draft: ExportDraft = serde_json::from_value(value).map_err(|e| e.to_string())?;
        draft.check(&TimeZone::parse("Asia/Tokyo").unwrap())
    }

    #[test]
    fn an_export_takes_instants_as_millis_or_rfc_3339_and_the_accounts_zone_by_default() {
        let spec = draft(json!({
            "channels": ["gw-1/LR-1/CH1", "calc:power"],
            "from": 1_764_547_200_000_i64,
            "to": "2025-12-02T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(spec.from, Millis(1_764_547_200_000));
        assert_eq!(spec.to, Millis(1_764_633_600_000));
        assert_eq!(spec.time_zone.as_str(), "Asia/Tokyo");
        assert_eq!(spec.channels.len(), 2);
    }

    #[test]
    fn a_bad_export_is_refused_naming_the_field() {
        let base = || json!({"channels": ["gw-1/LR-1/CH1"], "from": 1_764_547_200_000_i64, "to": 1_764_633_600_000_i64});
        let with = |field: &str, value: serde_json::Value| {
            let mut body = base();
            body[field] = value;
            draft(body).unwrap_err()
        };
        assert!(with("channels", json!([])).contains("1 to 32"));
        assert!(with("channels", json!(["gw-1/LR-1/CH1", "gw-1/LR-1/CH1"])).contains("twice"));
        let many: Vec<String> = (1..=33).map(|n| format!("gw-1/LR-1/CH{n}")).collect();
        assert!(with("channels", json!(many)).contains("got 33"));
        assert!(with("channels", json!(["nope"])).contains("`channels`"));
        assert!(with("to", json!(1_764_547_200_000_i64)).contains("before `to`"));
        assert!(with("from", json!("yesterday")).contains("`from`"));
        assert!(with("from", json!(5)).contains("2000-01-01"));
        assert!(with("timeZone", json!("Mars/Base")).contains("`timeZone`"));
        assert!(with("extra", json!(1)).contains("unknown field"));
    }

    #[test]
    fn progress_grows_with_instruments_and_time_and_stops_short_of_done() {
        let spec = draft(json!({"channels": ["gw-1/LR-1/CH1"], "from": 1_000_000_000_000_i64, "to": 1_000_000_001_000_i64})).unwrap();
        assert_eq!(export_percent(&spec, 2, 0, Millis(1_000_000_000_000)), 0);
        assert_eq!(export_percent(&spec, 2, 0, Millis(1_000_000_000_500)), 25);
        assert_eq!(export_percent(&spec, 2, 1, Millis(1_000_000_001_000)), 99);
        assert_eq!(import_percent(50, 200), 25);
        assert_eq!(import_percent(200, 200), 99);
        assert_eq!(import_percent(0, 0), 0);
    }

    #[test]
    fn a_job_message_carries_its_reference_only() {
        let message: JobMessage = serde_json::from_value(
            json!({"job": {"account": "acme", "group": "plant", "id": "0123456789abcdef01234567"}}),
        )
        .unwrap();
        assert_eq!(message.job.group.as_str(), "plant");
        let smuggled = json!({"job": {"account": "acme", "group": "plant", "id": "0123456789abcdef01234567", "spec": {}}});
        assert!(serde_json::from_value::<JobMessage>(smuggled).is_err());
    }
}
