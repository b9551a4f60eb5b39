//! A measurement group's calculated channels — list, create, detail, edit, copy, delete —
//! within the plan's limit per group.
//!
//! Values are computed on ingest from the moment a channel exists, and over the history
//! stored before by a queued backfill whose progress every answer reports (`backfill`).
//! The channel is shown, graphed and exported as `calc:{id}` like any other. A new
//! channel's ID and each backfill's chain are random, drawn by the caller.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::calculated::{copy_name, define, Backfill, CalculatedChannel, RecomputeJob};
use crate::domain::ids::{CalcId, ChannelName};
use crate::domain::record::Millis;
use crate::domain::registry::{Group, Instrument};
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, CalculatedChannels, ChunkStore, Groups, JobQueue, RecordStore, Saved,
};

use super::caller::plan_of;
use super::newest::{calculated_latest, calculated_latest_of, Reading};
use super::{log, Conflict, Deleted, Refused};

/// What a create or edit request carries; an edit may leave either out.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "CalculatedDraft")]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub name: Option<String>,
    pub expression: Option<String>,
}

/// A channel as answered. `stopped` says why it no longer computes, if it does not: a
/// source instrument or app of it is gone. `latest` is its newest stored value.
// (See `CalculatedChannel::stopped` and `calculated_latest`.)
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CalculatedView {
    pub id: CalcId,
    /// `calc:{id}`, as series and exports name it.
    pub channel: String,
    pub name: ChannelName,
    pub expression: String,
    pub canonical: String,
    pub sources: Vec<String>,
    pub version: u64,
    pub formula: u64,
    pub latest: Option<Reading>,
    pub backfill: Backfill,
    pub stopped: Option<String>,
}

impl CalculatedView {
    pub fn of(
        channel: &CalculatedChannel,
        instruments: &[Instrument],
        latest: Option<Reading>,
    ) -> Self {
        CalculatedView {
            id: channel.id.clone(),
            channel: format!("calc:{}", channel.id),
            name: channel.name.clone(),
            expression: channel.expression.clone(),
            canonical: channel.canonical.clone(),
            sources: channel.sources.iter().map(ToString::to_string).collect(),
            version: channel.version,
            formula: channel.formula,
            latest,
            backfill: channel.backfill,
            stopped: channel.stopped(instruments),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CalculatedList {
    pub calculated: Vec<CalculatedView>,
}

pub async fn list(
    store: &(impl Groups + CalculatedChannels),
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    now: Millis,
) -> Result<CalculatedList, Refused> {
    let mut channels = store
        .calculated_channels(&principal.account, &group.id)
        .await?;
    channels.sort_by(|a, b| a.name.cmp(&b.name));
    let instruments = group_instruments(store, principal, group).await?;
    let latest = calculated_latest(records, &channels, now).await?;
    let calculated = channels
        .iter()
        .zip(latest)
        .map(|(c, latest)| CalculatedView::of(c, &instruments, latest))
        .collect();
    Ok(CalculatedList { calculated })
}

pub async fn detail(
    store: &(impl Groups + CalculatedChannels),
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    id: &CalcId,
    now: Millis,
) -> Result<CalculatedView, Refused> {
    let channel = existing(store, principal, group, id).await?;
    let instruments = group_instruments(store, principal, group).await?;
    let latest = calculated_latest_of(records, &channel, now).await?;
    Ok(CalculatedView::of(&channel, &instruments, latest))
}

/// Creates a channel of ID `id` and queues the backfill of its history as chain `chain`.
pub async fn create(
    store: &(impl Accounts + Groups + CalculatedChannels),
    jobs: &impl JobQueue,
    principal: &Principal,
    group: &Group,
    draft: Draft,
    id: CalcId,
    chain: u64,
) -> Result<CalculatedView, Refused> {
    let name = required_name(draft.name)?;
    let expression = draft
        .expression
        .ok_or_else(|| Refused::invalid("`expression` is missing"))?;
    let siblings = store
        .calculated_channels(&principal.account, &group.id)
        .await?;
    ensure_name_free(&siblings, &name, None)?;
    let instruments = group_instruments(store, principal, group).await?;
    let definition = define(&expression, &instruments)?;
    let channel = CalculatedChannel {
        account: principal.account.clone(),
        group: group.id.clone(),
        id,
        name,
        expression,
        canonical: definition.canonical,
        sources: definition.sources,
        pins: definition.pins,
        version: 1,
        formula: 1,
        backfill: Backfill::default(),
    };
    insert(store, principal, group, &channel, siblings.len()).await?;
    jobs.enqueue(&first_step(&channel, chain)).await?;
    // A new channel: nothing computed yet.
    Ok(CalculatedView::of(&channel, &instruments, None))
}

/// Copies channel `id` as a new channel of ID `new_id`, its backfill queued as chain
/// `chain`.
#[allow(clippy::too_many_arguments)]
pub async fn copy(
    store: &(impl Accounts + Groups + CalculatedChannels),
    jobs: &impl JobQueue,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
    new_id: CalcId,
    chain: u64,
) -> Result<CalculatedView, Refused> {
    let original = existing(store, principal, group, id).await?;
    let siblings = store
        .calculated_channels(&principal.account, &group.id)
        .await?;
    let taken: Vec<&ChannelName> = siblings.iter().map(|s| &s.name).collect();
    let name = copy_name(&original.name, &taken);
    // Checked again against the group as it is now: a channel that stopped (a source
    // deleted, or of an app registered again since) is not copied onto whatever now
    // has its sources' names; its expression is edited instead.
    let instruments = group_instruments(store, principal, group).await?;
    if let Some(why) = original.stopped(&instruments) {
        return Err(Refused::conflict(
            Conflict::Stopped,
            format!("cannot copy: {why}"),
        ));
    }
    let definition = define(&original.canonical, &instruments)?;
    let channel = CalculatedChannel {
        id: new_id,
        name,
        canonical: definition.canonical,
        sources: definition.sources,
        pins: definition.pins,
        version: 1,
        formula: 1,
        backfill: Backfill::default(),
        ..original
    };
    insert(store, principal, group, &channel, siblings.len()).await?;
    jobs.enqueue(&first_step(&channel, chain)).await?;
    Ok(CalculatedView::of(&channel, &instruments, None))
}

/// Renames, changes the expression (a new formula, computed afresh), or — with neither —
/// resumes an unfinished backfill; a backfill it queues is chain `chain`.
#[allow(clippy::too_many_arguments)]
pub async fn edit(
    store: &(impl Groups + CalculatedChannels),
    records: &(impl RecordStore + ChunkStore),
    jobs: &impl JobQueue,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
    draft: Draft,
    chain: u64,
    now: Millis,
) -> Result<CalculatedView, Refused> {
    let mut channel = existing(store, principal, group, id).await?;
    let instruments = group_instruments(store, principal, group).await?;
    if let Some(name) = draft.name {
        let name = required_name(Some(name))?;
        let siblings = store
            .calculated_channels(&principal.account, &group.id)
            .await?;
        ensure_name_free(&siblings, &name, Some(id))?;
        channel.name = name;
    }
    let new_formula = match draft.expression.filter(|e| *e != channel.expression) {
        Some(expression) => {
            let definition = define(&expression, &instruments)?;
            channel.expression = expression;
            channel.canonical = definition.canonical;
            channel.sources = definition.sources;
            channel.pins = definition.pins;
            // A new formula is a new series: computed afresh, latest value included.
            channel.formula += 1;
            channel.backfill = Backfill::default();
            true
        }
        None => false,
    };
    channel.version += 1;
    match store.update_calculated(&channel, new_formula).await? {
        Saved::Written => {
            if new_formula {
                jobs.enqueue(&first_step(&channel, chain)).await?;
            } else if !channel.backfill.done {
                // Any edit resumes a backfill that stopped (its queueing failed, say)
                // where it got to; if it is still running, the extra step finds its
                // progress recorded already and ends.
                let from = channel
                    .backfill
                    .through
                    .map_or(Millis(i64::MIN), |t| t.plus(1));
                jobs.enqueue(&RecomputeJob::start(&channel, from, chain))
                    .await?;
            }
            // The change is made: a failure to read the latest value leaves it out.
            let latest = calculated_latest_of(records, &channel, now)
                .await
                .unwrap_or_else(|error| {
                    log::left_out("latest value", &error);
                    None
                });
            Ok(CalculatedView::of(&channel, &instruments, latest))
        }
        Saved::Conflict => Err(Refused::conflict(
            Conflict::ChangedMeanwhile,
            format!("calculated channel `{id}` was changed or deleted meanwhile; read it again"),
        )),
    }
}

pub async fn delete(
    store: &impl CalculatedChannels,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
) -> Result<Deleted<CalcId>, Refused> {
    if store
        .delete_calculated(&principal.account, &group.id, id)
        .await?
    {
        Ok(Deleted {
            deleted: id.clone(),
        })
    } else {
        Err(not_found(group, id))
    }
}

async fn existing(
    store: &impl CalculatedChannels,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
) -> Result<CalculatedChannel, Refused> {
    store
        .calculated_channel(&principal.account, &group.id, id)
        .await?
        .ok_or_else(|| not_found(group, id))
}

fn not_found(group: &Group, id: &CalcId) -> Refused {
    Refused::not_found(format!(
        "calculated channel `{id}` not found in group `{}`",
        group.id
    ))
}

fn required_name(name: Option<String>) -> Result<ChannelName, Refused> {
    let name = name.ok_or_else(|| Refused::invalid("`name` is missing"))?;
    ChannelName::parse(name).map_err(|e| Refused::invalid(format!("`name`: {e}")))
}

fn ensure_name_free(
    siblings: &[CalculatedChannel],
    name: &ChannelName,
    except: Option<&CalcId>,
) -> Result<(), Refused> {
    if siblings
        .iter()
        .any(|s| s.name == *name && Some(&s.id) != except)
    {
        return Err(Refused::conflict(
            Conflict::NameTaken,
            format!("the group already has a calculated channel named `{name}`"),
        ));
    }
    Ok(())
}

/// The group's instruments now: what expressions resolve against.
async fn group_instruments(
    store: &impl Groups,
    principal: &Principal,
    group: &Group,
) -> Result<Vec<Instrument>, Refused> {
    let (_, instruments) = store.group_members(&principal.account, &group.id).await?;
    Ok(instruments)
}

/// Creates `channel` within the plan's limit per group.
async fn insert(
    store: &(impl Accounts + CalculatedChannels),
    principal: &Principal,
    group: &Group,
    channel: &CalculatedChannel,
    current: usize,
) -> Result<(), Refused> {
    let plan = plan_of(store, principal).await?;
    let limit = plan.limits().calculated_channels_per_group;
    if limit == 0 {
        return Err(Refused::not_allowed(format!(
            "plan {plan} has no calculated channels; upgrade to use them"
        )));
    }
    if !store.create_calculated(channel, limit).await? {
        return Err(Refused::limit_reached(
            plan,
            limit,
            "calculated channels per measurement group",
            &format!("group `{}` has {current}", group.id),
        ));
    }
    Ok(())
}

/// The first step of a backfill of the channel's whole history, in a new chain.
fn first_step(channel: &CalculatedChannel, chain: u64) -> RecomputeJob {
    RecomputeJob::start(channel, Millis(i64::MIN), chain)
}
