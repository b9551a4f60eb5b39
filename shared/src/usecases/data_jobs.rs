//! Exports and imports over the API: asked for (checked, kept, queued for the `files`
//! function), then read back with how far they have come and, for a finished export, a
//! short-lived link to its ZIP. [`super::export`] and [`super::import`] carry them out.

use serde::Serialize;

use super::caller::app_of;
use super::export::{run_export, save_state};
use super::import::run_import;
use super::ingest::{IngestError, NewInstance};
use super::series::locate;
use super::Refused;
use crate::domain::data_job::{
    export_key, DataJob, ExportDraft, ImportDraft, ImportSpec, JobMessage, JobRef, JobSpec,
    JobState,
};
use crate::domain::files::content_disposition;
use crate::domain::ids::JobId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Apps, Bucket, CalculatedChannels, DataJobQueue, DataJobs, Files, GroupKey,
    Instruments, RecordStore, SignedRequest,
};

/// A finished export's link is valid this long; reading the job again signs a new one.
pub const DOWNLOAD_VALID_SECONDS: u64 = 300;

/// A job as the API shows it.
#[derive(Debug, Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: DataJob,
    pub kind: &'static str,
    /// A finished export's ZIP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<SignedRequest>,
}

fn key<'a>(principal: &'a Principal, group: &'a Group) -> GroupKey<'a> {
    GroupKey {
        account: &principal.account,
        group: &group.id,
    }
}

/// Asks for an export of `draft` from `group`, as job `id` (drawn at random by the
/// caller). Every channel is looked up now, so a wrong one is refused at once.
#[allow(clippy::too_many_arguments)]
pub async fn request_export(
    store: &(impl Accounts + Apps + Instruments + CalculatedChannels + DataJobs),
    queue: &impl DataJobQueue,
    principal: &Principal,
    group: &Group,
    draft: ExportDraft,
    id: JobId,
    now: Millis,
) -> Result<JobView, Refused> {
    let account = store
        .account(&principal.account)
        .await?
        .ok_or_else(|| Refused::not_found("account not found"))?;
    let spec = draft.check(&account.time_zone).map_err(Refused::invalid)?;
    for channel in &spec.channels {
        locate(store, &principal.account, &group.id, channel).await?;
    }
    start(
        store,
        queue,
        principal,
        group,
        JobSpec::Export(spec),
        id,
        now,
    )
    .await
}

/// Asks for an import of a CSV file of `group`'s drive into an instrument of one of its
/// apps (Pro), as job `id`.
#[allow(clippy::too_many_arguments)]
pub async fn request_import(
    store: &(impl Accounts + Apps + Files + DataJobs),
    queue: &impl DataJobQueue,
    principal: &Principal,
    group: &Group,
    draft: ImportDraft,
    id: JobId,
    now: Millis,
) -> Result<JobView, Refused> {
    let account = store
        .account(&principal.account)
        .await?
        .ok_or_else(|| Refused::not_found("account not found"))?;
    let plan = account.plan_at(now);
    if !plan.limits().import_from_files {
        return Err(Refused::not_allowed(format!(
            "plan {plan} does not import measurement data from files; Pro does"
        )));
    }
    let spec = ImportSpec::from(draft);
    if store
        .file(key(principal, group), &spec.file)
        .await?
        .is_none()
    {
        return Err(Refused::not_found(format!(
            "file `{}` not found in group `{}`",
            spec.file, group.id
        )));
    }
    app_of(store, principal, group, &spec.app).await?;
    start(
        store,
        queue,
        principal,
        group,
        JobSpec::Import(spec),
        id,
        now,
    )
    .await
}

async fn start(
    store: &impl DataJobs,
    queue: &impl DataJobQueue,
    principal: &Principal,
    group: &Group,
    spec: JobSpec,
    id: JobId,
    now: Millis,
) -> Result<JobView, Refused> {
    let job = DataJob {
        id,
        account: principal.account.clone(),
        group: group.id.clone(),
        requested_by: principal.user.to_string(),
        requested: now,
        spec,
        state: JobState::Queued,
        updated: now,
    };
    store.save_job(&job).await?;
    let message = JobMessage {
        job: JobRef {
            account: job.account.clone(),
            group: job.group.clone(),
            id: job.id.clone(),
        },
    };
    queue.queue_data_job(&message).await?;
    Ok(view(job, None))
}

/// Export or import `id` of `group` (`kind` as the route names it), with a fresh link
/// to a finished export's ZIP.
pub async fn detail(
    store: &impl DataJobs,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    kind: &str,
    id: &JobId,
) -> Result<JobView, Refused> {
    let job = store
        .job(key(principal, group), id)
        .await?
        .filter(|job| job.kind() == kind)
        .ok_or_else(|| {
            Refused::not_found(format!("{kind} `{id}` not found in group `{}`", group.id))
        })?;
    let download = match (&job.spec, &job.state) {
        (JobSpec::Export(spec), JobState::Done(_)) => {
            let name = format!(
                "{}-{}-{}.zip",
                job.group,
                compact_time(spec.from),
                compact_time(spec.to)
            );
            let (key, disposition) = (
                export_key(&job.account, &job.group, &job.id),
                content_disposition(&name),
            );
            Some(
                bucket
                    .sign_get(&key, &disposition, DOWNLOAD_VALID_SECONDS)
                    .await?,
            )
        }
        _ => None,
    };
    Ok(view(job, download))
}

fn view(job: DataJob, download: Option<SignedRequest>) -> JobView {
    JobView {
        kind: job.kind(),
        job,
        download,
    }
}

/// `20261201T0000Z`: an instant for a file name.
fn compact_time(t: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(t.0)
        .map(|t| t.format("%Y%m%dT%H%MZ").to_string())
        .unwrap_or_else(|| t.0.to_string())
}

/// Carries out the export or import `message` names (the `files` function), unless it
/// has ended already (the message was delivered again); its final state, or none if the
/// job is gone.
pub async fn carry_out(
    store: &(impl Accounts + Apps + Instruments + CalculatedChannels + Files + DataJobs),
    record_store: &impl RecordStore,
    bucket: &impl Bucket,
    message: &JobMessage,
    new_instance: &NewInstance,
    now: Millis,
) -> Result<Option<JobState>, IngestError> {
    let group = GroupKey {
        account: &message.job.account,
        group: &message.job.group,
    };
    let Some(job) = store.job(group, &message.job.id).await? else {
        tracing::warn!(account = %group.account, group = %group.group, job = %message.job.id, "no such export or import");
        return Ok(None);
    };
    if job.state.is_final() {
        return Ok(Some(job.state));
    }
    let started = JobState::Running {
        rows: 0,
        percent: 0,
    };
    save_state(store, &job, started, now).await?;
    let state = match &job.spec {
        JobSpec::Export(spec) => run_export(store, record_store, bucket, &job, spec, now).await?,
        JobSpec::Import(spec) => {
            run_import(store, record_store, bucket, &job, spec, new_instance, now).await?
        }
    };
    save_state(store, &job, state.clone(), now).await?;
    tracing::info!(account = %job.account, group = %job.group, job = %job.id, kind = job.kind(), state = ?state, "job ended");
    Ok(Some(state))
}
