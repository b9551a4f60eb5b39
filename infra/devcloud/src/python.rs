//! The local cloud's Python tools (moto; schemathesis for the API's contract test) live
//! in the project's own virtual environment, `.venv` at the repository root (CI installs
//! into the same one): a system Python that refuses `pip install` (PEP 668) still works,
//! and nothing is installed outside the checkout. A tool missing from it is installed
//! at the release `infra/requirements.txt` pins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context;
use tokio::process::Command;
use tokio::sync::Mutex;

use crate::command::run;

/// The pinned Python tools.
const REQUIREMENTS: &str = include_str!("../../requirements.txt");

/// The project's virtual environment: `.venv` at the repository root.
pub fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("infra/devcloud is two levels below the repository root")
        .join(".venv")
}

/// The virtual environment's Python, with `package` installed (`modules`, comma
/// separated, import). Checked once per package and process: the tests start many
/// local clouds at once, and one pip run must not race another.
pub async fn with(modules: &str, package: &str) -> anyhow::Result<PathBuf> {
    static READY: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::const_new(None);
    let mut ready = READY.lock().await;
    let ready = ready.get_or_insert_with(HashMap::new);
    if let Some(python) = ready.get(package) {
        return Ok(python.clone());
    }
    let python = prepare(&venv(), modules, package).await?;
    ready.insert(package.to_owned(), python.clone());
    Ok(python)
}

async fn prepare(venv: &Path, modules: &str, package: &str) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin").join("python");
    if !python.exists() {
        eprintln!(
            "creating the local cloud's Python environment in {}",
            venv.display()
        );
        let created = run(Command::new("python3").arg("-m").arg("venv").arg(venv)).await;
        if let Err(error) = created {
            // A half-made environment (Debian makes one without pip when python3-venv
            // is missing) would pass the check above on the next start.
            let _ = std::fs::remove_dir_all(venv);
            return Err(error.context(
                "`python3 -m venv` failed: the local cloud needs Python 3 with its venv module (on Debian and Ubuntu: apt install python3-venv)",
            ));
        }
    }
    let present = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {}", python.display()))?
        .success();
    if !present {
        let requirement = REQUIREMENTS
            .lines()
            .find(|line| line.starts_with(package))
            .with_context(|| format!("infra/requirements.txt pins {package}"))?;
        eprintln!(
            "{package} is missing: installing {requirement} into {}",
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
