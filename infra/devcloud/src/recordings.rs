//! The fleet's files: now and then a gateway of the simulated fleet uploads a recording
//! (a CSV of a few minutes of a power meter's readings) to its group's drive, the way an
//! app would — over the API for the upload, then a PUT straight to S3 — so the drive,
//! the files queue and the `files` function have something to do in the local cloud.

use std::time::Duration;

use anyhow::{bail, Context};
use fieldcloud::domain::csv::CsvExport;
use fieldcloud::domain::record::{Millis, Value};
use fieldcloud::domain::settings::TimeZone;
use serde_json::{json, Value as Json};

/// How often a recording is uploaded.
pub const RECORDING_EVERY: Duration = Duration::from_secs(10 * 60);
/// Readings in a recording: one a second for five minutes.
const READINGS: i64 = 300;

/// Uploads a recording to `group` with `token` every [`RECORDING_EVERY`], the first a
/// minute after the start; a failure is logged and the next one tried.
pub async fn upload_recordings(api: String, token: String, group: String) {
    let client = reqwest::Client::new();
    tokio::time::sleep(Duration::from_secs(60)).await;
    loop {
        let now = crate::wall_clock();
        match upload(&client, &api, &token, &group, now).await {
            Ok(name) => tracing::info!(%group, %name, "the fleet uploaded a recording"),
            Err(error) => tracing::warn!(%group, "a recording was not uploaded: {error:#}"),
        }
        tokio::time::sleep(RECORDING_EVERY).await;
    }
}

/// A CSV of the five minutes before `end`: voltage and current of a 230 V line.
pub fn recording(end: Millis) -> String {
    let zone = TimeZone::parse("Asia/Tokyo").expect("a zone of the database");
    let mut csv = String::new();
    let file = CsvExport::start(&zone, &["U1", "I1"], &mut csv);
    for second in 0..READINGS {
        let t = Millis(end.0 - (READINGS - second) * 1_000);
        let phase = (t.0 / 1_000) as f64 / 20.0;
        let volts = (23_000.0 + 150.0 * phase.sin()).round() / 100.0;
        let amps = (12_000.0 + 4_000.0 * (phase / 3.0).cos()).round() / 1_000.0;
        file.row(t, &[Value::finite(volts), Value::finite(amps)], &mut csv);
    }
    csv
}

async fn upload(
    client: &reqwest::Client,
    api: &str,
    token: &str,
    group: &str,
    now: Millis,
) -> anyhow::Result<String> {
    let body = recording(now).into_bytes();
    let name = format!("line 1 power {}.csv", now.0 / 1_000);
    let draft = json!({"name": name, "folder": "recordings", "size": body.len(), "content_type": "text/csv"});
    let answer = client
        .post(format!("{api}/v1/groups/{group}/files"))
        .bearer_auth(token)
        .json(&draft)
        .send()
        .await
        .context("asking for an upload")?;
    let status = answer.status();
    let handed: Json = answer.json().await.context("reading the upload")?;
    if status != 201 {
        bail!("the API answered {status}: {handed}");
    }
    let upload = &handed["upload"];
    let mut put = client.put(upload["url"].as_str().context("no upload URL")?);
    for header in upload["headers"].as_array().into_iter().flatten() {
        let (Some(header), Some(value)) = (header[0].as_str(), header[1].as_str()) else {
            continue;
        };
        // The body sets its own length.
        if !header.eq_ignore_ascii_case("content-length") {
            put = put.header(header, value);
        }
    }
    let stored = put.body(body).send().await.context("putting the file")?;
    if !stored.status().is_success() {
        bail!("S3 answered {}", stored.status());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcloud::domain::csv::{import, ImportLimits, OnBadLine};

    #[test]
    fn a_recording_is_a_csv_the_import_reads_back() {
        let csv = recording(Millis(1_796_000_000_000));
        let limits = ImportLimits {
            max_channels: 32,
            max_rows: 1_000,
        };
        let imported = import(csv.lines(), limits, OnBadLine::Abort).unwrap();
        assert_eq!(imported.channels.len(), 2);
        assert_eq!(imported.rows.len(), READINGS as usize);
        assert_eq!(imported.rows.last().unwrap().t, Millis(1_795_999_999_000));
    }
}
