//! Running the local cloud's helper programs (pip, npm) to their end.

use std::process::{Output, Stdio};

use anyhow::{bail, Context};
use tokio::process::Command;

/// Runs `command` to its end; a failure carries the command's own output.
pub async fn run(command: &mut Command) -> anyhow::Result<()> {
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
