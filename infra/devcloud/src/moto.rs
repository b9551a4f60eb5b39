//! The AWS emulator: moto's server as a child process on 127.0.0.1, run through
//! `moto_serialized.py` so that it has DynamoDB's per-item atomicity.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

/// The pinned Python tools; the moto line is the release the local cloud works with.
const REQUIREMENTS: &str = include_str!("../../requirements.txt");
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const LAUNCHER: &str = include_str!("../moto_serialized.py");

/// A running moto server; it is killed when this is dropped.
pub struct Moto {
    pub endpoint: String,
    _child: Child,
}

impl Moto {
    /// Starts moto on `127.0.0.1:port` (installing it with pip first if it is missing)
    /// and waits until it answers.
    pub async fn start(port: u16) -> anyhow::Result<Moto> {
        ensure_installed().await?;
        let child = Command::new("python3")
            .args(["-c", LAUNCHER, "127.0.0.1", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting moto with python3")?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            let probe = client
                .get(format!("{endpoint}/moto-api/data.json"))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(Moto {
                    endpoint,
                    _child: child,
                });
            }
            if tokio::time::Instant::now() > deadline {
                bail!("moto did not answer on {endpoint} within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn ensure_installed() -> anyhow::Result<()> {
    let present = Command::new("python3")
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .context("python3 is required for the AWS emulator (moto)")?
        .success();
    if present {
        return Ok(());
    }
    let requirement = REQUIREMENTS
        .lines()
        .find(|line| line.starts_with("moto"))
        .context("infra/requirements.txt pins moto")?;
    eprintln!("moto server is missing: installing {requirement} with pip");
    let status = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", requirement])
        .status()
        .await
        .context("running pip")?;
    if !status.success() {
        bail!("pip install {requirement} failed");
    }
    Ok(())
}
