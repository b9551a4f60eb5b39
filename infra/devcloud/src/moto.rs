//! The AWS emulator: moto's server as a child process on 127.0.0.1, run through
//! `moto_serialized.py` so that it has DynamoDB's per-item atomicity.
//!
//! moto lives in the project's own virtual environment, `.venv` at the repository root
//! (CI installs into the same one): a system Python that refuses `pip install` (PEP 668)
//! still works, and nothing is installed outside the checkout.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};
use tokio::sync::OnceCell;

/// The pinned Python tools; the moto line is the release the local cloud works with.
const REQUIREMENTS: &str = include_str!("../../requirements.txt");
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
        let python = python().await?;
        let mut child = Command::new(python)
            .args(["-c", LAUNCHER, "127.0.0.1", &port.to_string()])
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

/// The project's virtual environment: `.venv` at the repository root.
fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("infra/devcloud is two levels below the repository root")
        .join(".venv")
}

/// The virtual environment's Python, with moto installed. Prepared once per process:
/// the tests start many local clouds at once, and one pip run must not race another.
async fn python() -> anyhow::Result<&'static Path> {
    static PYTHON: OnceCell<PathBuf> = OnceCell::const_new();
    PYTHON
        .get_or_try_init(|| prepare(venv()))
        .await
        .map(PathBuf::as_path)
}

async fn prepare(venv: PathBuf) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin").join("python");
    if !python.exists() {
        eprintln!(
            "creating the local cloud's Python environment in {}",
            venv.display()
        );
        let created = run(Command::new("python3").arg("-m").arg("venv").arg(&venv)).await;
        if let Err(error) = created {
            // A half-made environment (Debian makes one without pip when python3-venv
            // is missing) would pass the check above on the next start.
            let _ = std::fs::remove_dir_all(&venv);
            return Err(error.context(
                "`python3 -m venv` failed: moto needs Python 3 with its venv module (on Debian and Ubuntu: apt install python3-venv)",
            ));
        }
    }
    let present = Command::new(&python)
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {}", python.display()))?
        .success();
    if !present {
        let requirement = REQUIREMENTS
            .lines()
            .find(|line| line.starts_with("moto"))
            .context("infra/requirements.txt pins moto")?;
        eprintln!(
            "moto server is missing: installing {requirement} into {}",
            venv.display()
        );
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ]))
        .await
        .with_context(|| format!("installing {requirement} with pip"))?;
    }
    Ok(python)
}

/// Runs `command` to its end; a failure carries the command's own output.
async fn run(command: &mut Command) -> anyhow::Result<()> {
    let Output {
        status,
        stdout,
        stderr,
    } = command
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {:?}", command.as_std()))?;
    if !status.success() {
        bail!(
            "{:?} failed ({status}):\n{}{}",
            command.as_std(),
            String::from_utf8_lossy(&stderr),
            String::from_utf8_lossy(&stdout)
        );
    }
    Ok(())
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
