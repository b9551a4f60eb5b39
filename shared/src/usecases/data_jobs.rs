//! Exports and imports over the API: asked for (checked, kept, queued for the `files`
//! function), then read back with how far they have come and, for a finished export, a
//! short-lived link to its ZIP. [`super::export`] and [`super::import`] carry them out.

use schemars::JsonSchema;
use serde::Serialize;

use super::caller::app_of;
use super::export::run_export;
use super::import::run_import;
use super::ingest::{IngestError, NewInstance};
use super::series::locate;
use super::Refused;
use crate::domain::data_job::{
    export_key, DataJob, ExportDraft, ImportDraft, ImportSpec, JobMessage, JobRef, JobSpec,
    JobState, EXPORT_KEPT_DAYS, MAX_JOBS_KEPT, MAX_JOBS_WAITING,
};
use crate::domain::files::content_disposition;
use crate::domain::ids::JobId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Apps, Bucket, CalculatedChannels, ChunkStore, DataJobQueue, DataJobs, Files,
    GroupKey, Instruments, RecordStore, SignedRequest, StoreError,
};

/// A finished export's link is valid this long; reading the job again signs a new one.
pub const DOWNLOAD_VALID_SECONDS: u64 = 300;

/// Attempts at a job before it is given up as failed: the jobs queue's, after which its
/// message goes to the dead letters.
pub const MAX_ATTEMPTS: u32 = 5;

/// The time now: a job's progress is stamped as it goes.
pub type Clock = dyn Fn() -> Millis + Sync;

/// A job as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobView {
    #[serde(flatten)]
    pub job: DataJob,
    pub kind: &'static str,
    /// A finished export's ZIP, while it is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<SignedRequest>,
    /// A finished export whose ZIP is no longer kept.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
}

fn key<'a>(principal: &'a Principal, group: &'a Group) -> GroupKey<'a> {
    GroupKey {
        account: &principal.account,
        group: &group.id,
    }
}

/// Asks for an export of `draft` from `group`, as job `id` (drawn at random by the
/// caller). Every channel is looked up now, so a wrong one is refused at once.
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
    let kept = store.account_jobs(&principal.account).await?;
    if kept.len() >= MAX_JOBS_KEPT {
        return Err(Refused::TooMany(format!(
            "the account has asked for {MAX_JOBS_KEPT} exports and imports in the last {} days; ask again when the oldest are gone",
            EXPORT_KEPT_DAYS + 1
        )));
    }
    let waiting = kept
        .iter()
        .filter(|job| !job.state.is_final() && now.0 - job.requested.0 < Millis::DAY)
        .count();
    if waiting >= MAX_JOBS_WAITING {
        return Err(Refused::TooMany(format!(
            "the account has {waiting} exports and imports waiting or running, the most at once; ask again when one has ended"
        )));
    }
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
    (kind, id): (&str, &JobId),
    now: Millis,
) -> Result<JobView, Refused> {
    let job = store
        .job(key(principal, group), id)
        .await?
        .filter(|job| job.kind() == kind)
        .ok_or_else(|| {
            Refused::not_found(format!("{kind} `{id}` not found in group `{}`", group.id))
        })?;
    // The bucket removes a ZIP after its days; the item's TTL may come days later.
    let expired = job.requested.plus(EXPORT_KEPT_DAYS * Millis::DAY) <= now;
    let download = match (&job.spec, &job.state) {
        (JobSpec::Export(spec), JobState::Done(_)) if !expired => {
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
    let expired = expired
        && matches!(
            (&job.spec, &job.state),
            (JobSpec::Export(_), JobState::Done(_))
        );
    Ok(JobView {
        expired,
        ..view(job, download)
    })
}

fn view(job: DataJob, download: Option<SignedRequest>) -> JobView {
    JobView {
        kind: job.kind(),
        job,
        download,
        expired: false,
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
/// job is gone. `attempt` counts the message's deliveries: a failure on the last one
/// ends the job as failed, rather than leave it running for ever.
pub async fn carry_out(
    store: &(impl Accounts + Apps + Instruments + CalculatedChannels + Files + DataJobs),
    record_store: &(impl RecordStore + ChunkStore),
    bucket: &impl Bucket,
    (message, attempt): (&JobMessage, u32),
    new_instance: &NewInstance,
    clock: &Clock,
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
    save_state(store, &job, started, clock()).await?;
    let ran = match &job.spec {
        JobSpec::Export(spec) => run_export(store, record_store, bucket, &job, spec, clock)
            .await
            .map_err(IngestError::from),
        JobSpec::Import(spec) => {
            run_import(store, record_store, bucket, &job, spec, new_instance, clock).await
        }
    };
    let state = match ran {
        Ok(state) => state,
        Err(error) if attempt >= MAX_ATTEMPTS => {
            // Ended for whoever reads the job; the error still fails the invocation,
            // so the message goes to the dead letters and their alarm tells an operator.
            let reason = format!("gave up after {attempt} attempts: {error}");
            save_state(store, &job, JobState::Failed { reason }, clock()).await?;
            return Err(error);
        }
        Err(error) => return Err(error),
    };
    save_state(store, &job, state.clone(), clock()).await?;
    tracing::info!(account = %job.account, group = %job.group, job = %job.id, kind = job.kind(), state = ?state, "job ended");
    Ok(Some(state))
}

/// Keeps `job` in `state` at `now`, unless it has ended meanwhile.
pub(crate) async fn save_state(
    store: &impl DataJobs,
    job: &DataJob,
    state: JobState,
    now: Millis,
) -> Result<(), StoreError> {
    let job = DataJob {
        state,
        updated: now,
        ..job.clone()
    };
    if !store.save_job(&job).await? {
        tracing::warn!(account = %job.account, group = %job.group, job = %job.id, "the job had ended meanwhile; left as it was");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::auth::Role;
    use crate::domain::data_job::ExportSpec;
    use crate::domain::ids::{AccountId, GroupId, UserId};
    use crate::domain::plan::Plan;
    use crate::domain::registry::Account;
    use crate::domain::settings::TimeZone;
    use crate::memory::{MemoryJobQueue, MemoryStore};
    use crate::ports::Groups;
    use crate::usecases::groups::{create_group, GroupDraft};

    const NOW: Millis = Millis(1_800_000_000_000);

    async fn group_of(store: &MemoryStore) -> (Principal, Group) {
        let id = AccountId::parse("acme").unwrap();
        store.create_account(&Account::new(
            id.clone(),
            "Acme".into(),
            Plan::Pro,
            Millis(0),
        ));
        let admin = Principal {
            account: id.clone(),
            user: UserId::parse("admin").unwrap(),
            role: Role::Admin,
            session: "session".into(),
            expires: Millis(i64::MAX),
        };
        let draft = GroupDraft {
            id: Some("plant".into()),
            name: None,
        };
        create_group(store, &admin, draft).await.unwrap();
        let plant = GroupId::parse("plant").unwrap();
        let group = store.group(&id, &plant).await.unwrap().unwrap();
        (admin, group)
    }

    fn export() -> JobSpec {
        JobSpec::Export(ExportSpec {
            channels: vec![],
            from: Millis(0),
            to: Millis(1),
            time_zone: TimeZone::utc(),
        })
    }

    #[tokio::test]
    async fn an_account_has_at_most_three_jobs_waiting_and_stale_ones_do_not_count() {
        let (store, queue) = (MemoryStore::new(), MemoryJobQueue::default());
        let (admin, group) = group_of(&store).await;
        let mut ids = (1..).map(|n: u128| JobId::from_random(n << 32));
        for _ in 0..MAX_JOBS_WAITING {
            let job = ids.next().unwrap();
            start(&store, &queue, &admin, &group, export(), job, NOW)
                .await
                .unwrap();
        }
        assert_eq!(queue.data_jobs().len(), MAX_JOBS_WAITING);
        let refused = start(
            &store,
            &queue,
            &admin,
            &group,
            export(),
            ids.next().unwrap(),
            NOW,
        );
        let Err(Refused::TooMany(message)) = refused.await else {
            panic!("a fourth job waiting");
        };
        assert!(
            message.contains("3 exports and imports waiting"),
            "{message}"
        );
        assert_eq!(queue.data_jobs().len(), MAX_JOBS_WAITING, "nothing queued");

        // A day later the three count no more (they ran out of attempts unseen).
        let later = NOW.plus(Millis::DAY);
        start(
            &store,
            &queue,
            &admin,
            &group,
            export(),
            ids.next().unwrap(),
            later,
        )
        .await
        .unwrap();
        assert_eq!(queue.data_jobs().len(), MAX_JOBS_WAITING + 1);
    }
}
