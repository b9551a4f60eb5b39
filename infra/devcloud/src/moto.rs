//! The AWS emulator: moto's server as a child process on 127.0.0.1, run through
//! `moto_serialized.py` so that it has DynamoDB's per-item atomicity.
//!
//! moto lives in the project's own virtual environment (see [`crate::python`]).

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const LAUNCHER: &str = include_str!("../moto_serialized.py");
/// How much of moto's output a failure report shows: its last lines hold the cause.
const OUTPUT_LINES_KEPT: usize = 40;

/// A running moto server; it is killed when this is dropped.
pub struct Moto {
    pub endpoint: String,
    _child: Child,
}

impl Moto {
    /// Starts moto on `127.0.0.1:port` (installing it into the project's virtual
    /// environment first if it is missing) and waits until it answers. If moto fails to
    /// start, the error carries what moto itself printed.
    pub async fn start(port: u16) -> anyhow::Result<Moto> {
        // Another server on the port would answer the probe below in moto's place.
        std::net::TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("moto cannot listen on 127.0.0.1:{port}"))?;
        let python = crate::python::with("moto.server, flask, flask_cors", "moto").await?;
        let mut child = Command::new(python)
            .args(["-c", LAUNCHER, "127.0.0.1", &port.to_string()])
            // moto answers every origin by default; S3 answers only those its bucket's CORS
            // rules name, and the portal's uploads must work under those rules.
            .env("MOTO_DISABLE_GLOBAL_CORS", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting moto")?;
        let output = OutputTail::follow(child.stderr.take().expect("stderr is piped"));
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().context("watching moto")? {
                bail!(
                    "moto exited ({status}) before it answered on {endpoint}; it said:\n{}",
                    output.finished().await
                );
            }
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
                bail!(
                    "moto did not answer on {endpoint} within {STARTUP_TIMEOUT:?}; it said:\n{}",
                    output.lines()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The last lines moto wrote to stderr. The pipe is drained for moto's whole life: its
/// server logs every request there, and a full pipe would stop it.
struct OutputTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl OutputTail {
    fn follow(stderr: ChildStderr) -> OutputTail {
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let reader = tokio::spawn({
            let lines = lines.clone();
            async move {
                let mut input = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = input.next_line().await {
                    let mut lines = lines.lock().expect("no panic while holding the lock");
                    if lines.len() == OUTPUT_LINES_KEPT {
                        lines.pop_front();
                    }
                    lines.push_back(line);
                }
            }
        });
        OutputTail { lines, reader }
    }

    /// The lines once moto has exited and its last words have been read.
    async fn finished(self) -> String {
        // The pipe closes with the process; the bound only guards against a grandchild
        // holding it open.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.reader).await;
        Self::join(&self.lines)
    }

    fn lines(&self) -> String {
        Self::join(&self.lines)
    }

    fn join(lines: &Mutex<VecDeque<String>>) -> String {
        let lines = lines.lock().expect("no panic while holding the lock");
        if lines.is_empty() {
            return "  (nothing)".into();
        }
        lines
            .iter()
            .map(|line| format!("  {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_start_reports_the_last_lines_the_process_wrote() {
        let mut child = Command::new("sh")
            .args([
                "-c",
                "for i in $(seq 1 50); do echo line $i >&2; done; exit 3",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh runs");
        let output = OutputTail::follow(child.stderr.take().expect("stderr is piped"));
        assert!(!child.wait().await.expect("sh ends").success());
        let said = output.finished().await;
        assert!(said.starts_with("  line 11\n"), "{said}");
        assert!(said.ends_with("  line 50"), "{said}");
    }
}
