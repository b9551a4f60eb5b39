//! The scheduled jobs at a chosen instant: what EventBridge invokes daily in AWS, run
//! here by a test or by hand (`cargo run -p devcloud -- job license-reminder --now …`,
//! `job quota-sweep`)
//! against the local cloud's data, with the function's own clients, so IAM is checked
//! against its policy in the template as for every function.

use std::sync::Arc;

use anyhow::{bail, Context};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::adapters::s3::S3Bucket;
use fieldcloud::adapters::ses::SesMailer;
use fieldcloud::domain::record::Millis;
use fieldcloud::usecases::license_reminders::ReminderReport;
use fieldcloud::usecases::quota_sweep::SweepReport;
use reminders::Reminders;
use sweep::QuotaSweeper;

use crate::{
    function_records, iam, iam_names, table_keys, write_log, LocalCloud, FILES_BUCKET, MAIL_FROM,
    REGISTRY_TABLE,
};

/// The quota-sweep function as the local cloud runs it.
type Sweeper = QuotaSweeper<DynamoStore, DynamoRecords, S3Bucket, SesMailer>;

/// The jobs `devcloud job` runs, by the name the README gives them.
pub const JOBS: &[&str] = &["license-reminder", "quota-sweep"];

/// The license-reminder function as the template declares it.
const FUNCTION: &str = "LicenseReminderFunction";
/// The quota-sweep function as the template declares it.
const SWEEP_FUNCTION: &str = "QuotaSweepFunction";

/// `function`'s own clients on the emulator at `config`, IAM-checked against its policy.
fn job_clients(
    function: &'static str,
    config: &aws_config::SdkConfig,
    endpoint: &str,
    denied: &iam::Denials,
    writes: &write_log::Writes,
) -> anyhow::Result<iam::FunctionClients> {
    let queue = |name: &str| format!("{endpoint}/{}/{name}", crate::ACCOUNT);
    let names = iam_names(
        &queue(crate::RECOMPUTE_QUEUE),
        &queue(crate::NOTIFY_QUEUE),
        &queue(crate::FILES_QUEUE),
        &queue(crate::JOBS_QUEUE),
    );
    let log = write_log::WriteLog::new(function, Arc::new(table_keys()?), writes.clone());
    iam::FunctionClients::new(function, config, &names, denied, log)
}

/// The quota-sweep function with its own clients on the emulator at `config`.
fn quota_sweep(
    config: &aws_config::SdkConfig,
    endpoint: &str,
    denied: &iam::Denials,
    writes: &write_log::Writes,
) -> anyhow::Result<Sweeper> {
    let clients = job_clients(SWEEP_FUNCTION, config, endpoint, denied, writes)?;
    Ok(QuotaSweeper {
        store: DynamoStore::new(clients.dynamodb.clone(), REGISTRY_TABLE),
        records: function_records(&clients),
        bucket: S3Bucket::new(clients.s3.clone(), FILES_BUCKET),
        mailer: SesMailer::new(clients.ses.clone(), MAIL_FROM).sending_once(),
        page_size: sweep::PAGE_SIZE,
    })
}

/// The license-reminder function with its own clients on the emulator at `config`.
fn license_reminder(
    config: &aws_config::SdkConfig,
    endpoint: &str,
    denied: &iam::Denials,
    writes: &write_log::Writes,
) -> anyhow::Result<Reminders<DynamoStore, SesMailer>> {
    let clients = job_clients(FUNCTION, config, endpoint, denied, writes)?;
    Ok(Reminders {
        store: DynamoStore::new(clients.dynamodb.clone(), REGISTRY_TABLE),
        mailer: SesMailer::new(clients.ses.clone(), MAIL_FROM).sending_once(),
        page_size: reminders::PAGE_SIZE,
    })
}

/// Invokes `function` as the schedule does at `at`, each invocation starting at most
/// `pages_per_invocation` pages (all it needs without), until the day is done:
/// what one invocation after another does in AWS. The reports, one per invocation.
async fn invoke_until_done(
    function: &Reminders<DynamoStore, SesMailer>,
    at: Millis,
    pages_per_invocation: Option<usize>,
) -> anyhow::Result<Vec<ReminderReport>> {
    let event = reminders::ScheduledEvent {
        detail_type: "Scheduled Event".into(),
        time: at,
    };
    let mut reports = Vec::new();
    loop {
        let pages = std::sync::atomic::AtomicUsize::new(0);
        let time_left = || {
            let started = pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            pages_per_invocation.is_none_or(|limit| started < limit)
        };
        let report = function
            .handle(&event, time_left)
            .await
            .map_err(|failure| anyhow::anyhow!("{failure}"))?;
        let finished = report.finished;
        reports.push(report);
        if finished {
            return Ok(reports);
        }
    }
}

/// Invokes the quota sweep as the schedule does at `at`, as [`invoke_until_done`] does
/// the reminders: the reports, one per invocation.
async fn sweep_until_done(
    function: &Sweeper,
    at: Millis,
    pages_per_invocation: Option<usize>,
) -> anyhow::Result<Vec<SweepReport>> {
    let event = sweep::ScheduledEvent {
        detail_type: "Scheduled Event".into(),
        time: at,
    };
    let mut reports = Vec::new();
    loop {
        let pages = std::sync::atomic::AtomicUsize::new(0);
        let time_left = || {
            let started = pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            pages_per_invocation.is_none_or(|limit| started < limit)
        };
        let report = function
            .handle(&event, time_left)
            .await
            .map_err(|failure| anyhow::anyhow!("{failure}"))?;
        let finished = report.finished;
        reports.push(report);
        if finished {
            return Ok(reports);
        }
    }
}

impl LocalCloud {
    /// Runs the quota sweep as its schedule would at `at`, one invocation after another
    /// until the day is done, each starting at most `pages_per_invocation` pages of
    /// `page_size` accounts or steps of a deletion (each asks for time, as in Lambda).
    pub async fn quota_sweep(
        &self,
        at: Millis,
        page_size: usize,
        pages_per_invocation: Option<usize>,
    ) -> anyhow::Result<Vec<SweepReport>> {
        let config = crate::sdk_config(&self.moto.endpoint).await;
        let mut function = quota_sweep(&config, &self.moto.endpoint, &self.denied, &self.writes)?;
        function.page_size = page_size;
        sweep_until_done(&function, at, pages_per_invocation).await
    }

    /// Runs the license-reminder job as its schedule would at `at`, one invocation after
    /// another until the day is done, each starting at most `pages_per_invocation` pages
    /// of `page_size` licenses: a run cut short, and the invocations that finish it.
    pub async fn license_reminder(
        &self,
        at: Millis,
        page_size: usize,
        pages_per_invocation: Option<usize>,
    ) -> anyhow::Result<Vec<ReminderReport>> {
        let config = crate::sdk_config(&self.moto.endpoint).await;
        let mut function =
            license_reminder(&config, &self.moto.endpoint, &self.denied, &self.writes)?;
        function.page_size = page_size;
        invoke_until_done(&function, at, pages_per_invocation).await
    }
}

/// `devcloud job NAME --now RFC3339 [--moto-port N]`: runs job NAME at that instant
/// against the running local cloud's emulator and prints what it did.
pub async fn run_from_command_line(args: &[String]) -> anyhow::Result<()> {
    let usage = format!(
        "usage: devcloud job {{{}}} --now 2027-02-01T00:00:00Z [--moto-port 4566]",
        JOBS.join("|")
    );
    let mut name = None;
    let mut now = None;
    let mut moto_port = 4566u16;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--now" => {
                let text = args.next().with_context(|| usage.clone())?;
                let at = chrono::DateTime::parse_from_rfc3339(text)
                    .with_context(|| format!("--now takes an RFC 3339 instant, got {text}"))?;
                now = Some(Millis(at.timestamp_millis()));
            }
            "--moto-port" => {
                moto_port = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .with_context(|| format!("--moto-port takes a port\n{usage}"))?
            }
            job if name.is_none() && JOBS.contains(&job) => name = Some(job.to_owned()),
            other => bail!("unknown argument {other}\n{usage}"),
        }
    }
    let (Some(job), Some(now)) = (name, now) else {
        bail!("{usage}");
    };
    let endpoint = format!("http://127.0.0.1:{moto_port}");
    let probe = reqwest::get(format!("{endpoint}/moto-api/data.json")).await;
    if !probe.is_ok_and(|r| r.status().is_success()) {
        bail!(
            "no local cloud answers on {endpoint}: start one with `cargo run -p devcloud` in another terminal (the job runs against its data)"
        );
    }
    let config = crate::sdk_config(&endpoint).await;
    let denied = iam::Denials::default();
    if job == "quota-sweep" {
        let function = quota_sweep(&config, &endpoint, &denied, &Default::default())?;
        print_sweep(&sweep_until_done(&function, now, None).await?);
    } else {
        let function = license_reminder(&config, &endpoint, &denied, &Default::default())?;
        print_reminders(&invoke_until_done(&function, now, None).await?);
    }
    let denied = denied.lock().expect("no panic while holding the lock");
    if !denied.is_empty() {
        bail!("IAM would refuse: {denied:#?}");
    }
    println!("the mails are in the emulator's SES: curl -s {endpoint}/moto-api/data.json");
    Ok(())
}

fn print_reminders(reports: &[ReminderReport]) {
    for report in reports {
        println!(
            "license reminders of {} (China Standard Time): {} licenses read, {} sent, {} sent already",
            report.day,
            report.licenses_read,
            report.sent.len(),
            report.already_sent
        );
        for sent in &report.sent {
            println!(
                "  sent {} to {} (account {}, license ends {})",
                sent.kind, sent.to, sent.account, sent.expiry
            );
        }
        for sent in &report.failed {
            println!(
                "  FAILED {} to {} (account {}): claimed, not sent, not retried",
                sent.kind, sent.to, sent.account
            );
        }
        for account in &report.without_contract_email {
            println!("  account {account} has a reminder due but no contract e-mail");
        }
    }
}

fn print_sweep(reports: &[SweepReport]) {
    for report in reports {
        println!(
            "quota sweep of {} (China Standard Time): {} accounts read, {} lapsed to Free, {} notices sent, {} sent already",
            report.day,
            report.accounts_read,
            report.lapsed.len(),
            report.sent.len(),
            report.already_sent
        );
        for account in &report.trials_deleted {
            println!("  account {account}: Trial ended, its data and files deleted");
        }
        for account in &report.over_capacity_deleted {
            println!(
                "  account {account}: over capacity past its deadline, its data and files deleted"
            );
        }
        for account in &report.lapsed {
            println!("  account {account}: license lapsed, now on Free");
        }
        for sent in &report.sent {
            println!(
                "  sent {} ({}) to {} (account {})",
                sent.kind, sent.date, sent.to, sent.account
            );
        }
        for sent in &report.failed {
            println!(
                "  FAILED {} to {} (account {}): claimed, not sent, not retried",
                sent.kind, sent.to, sent.account
            );
        }
        for account in &report.without_contract_email {
            println!("  account {account} has a notice due but no contract e-mail");
        }
        for account in &report.unreadable {
            println!("  account {account} NOT swept: an item of it does not decode (see the log)");
        }
    }
}
