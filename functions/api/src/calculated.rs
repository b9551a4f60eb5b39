//! `/v1/groups/{group}/calculated[/{id}[/copy]]`: a measurement group's calculated
//! channels — list, create, detail, edit, copy, delete — within the plan's limit per group.
//!
//! Values are computed on ingest from the moment a channel exists, and over the history
//! stored before by a queued backfill whose progress every answer reports (`backfill`).
//! The channel is shown, graphed and exported as `calc:{id}` like any other.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::calculated::{
    copy_name, define, Backfill, CalculatedChannel, Definition, RecomputeJob,
};
use fieldcloud::domain::ids::{CalcId, ChannelName};
use fieldcloud::domain::record::{Millis, Value};
use fieldcloud::domain::registry::{Group, Instrument};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Accounts, CalculatedChannels, Groups, JobQueue, RecordStore, Saved};

use crate::error::ApiError;
use crate::newest::{calculated_latest, calculated_latest_of};

/// What a create or edit request carries; an edit may leave either out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub name: Option<String>,
    pub expression: Option<String>,
}

/// A channel as answered. `stopped` says why it no longer computes, if it does not: a
/// source instrument or app of it is gone (see [`CalculatedChannel::stopped`]).
/// `latest` is its newest stored value (see [`crate::newest::calculated_latest`]).
pub fn to_json(
    channel: &CalculatedChannel,
    instruments: &[Instrument],
    latest: Option<(Millis, Value)>,
) -> Json {
    json!({
        "id": channel.id,
        "channel": format!("calc:{}", channel.id),
        "name": channel.name,
        "expression": channel.expression,
        "canonical": channel.canonical,
        "sources": channel.sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "version": channel.version,
        "formula": channel.formula,
        "latest": latest.map(|(t, value)| json!({ "t": t, "value": value })),
        "backfill": channel.backfill,
        "stopped": channel.stopped(instruments),
    })
}

pub async fn list(
    registry: &(impl Groups + CalculatedChannels),
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
) -> Result<Json, ApiError> {
    let mut channels = registry
        .calculated_channels(&principal.account, &group.id)
        .await?;
    channels.sort_by(|a, b| a.name.cmp(&b.name));
    let instruments = group_instruments(registry, principal, group).await?;
    let latest = calculated_latest(records, &channels).await?;
    let answers: Vec<Json> = channels
        .iter()
        .zip(latest)
        .map(|(c, latest)| to_json(c, &instruments, latest))
        .collect();
    Ok(json!({ "calculated": answers }))
}

pub async fn detail(
    registry: &(impl Groups + CalculatedChannels),
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
) -> Result<Json, ApiError> {
    let channel = existing(registry, principal, group, id).await?;
    let instruments = group_instruments(registry, principal, group).await?;
    let latest = calculated_latest_of(records, &channel).await?;
    Ok(to_json(&channel, &instruments, latest))
}

pub async fn create(
    registry: &(impl Accounts + Groups + CalculatedChannels),
    jobs: &impl JobQueue,
    principal: &Principal,
    group: &Group,
    draft: Draft,
) -> Result<Json, ApiError> {
    let name = required_name(draft.name)?;
    let expression = draft
        .expression
        .ok_or_else(|| ApiError::bad_request("`expression` is missing"))?;
    let siblings = registry
        .calculated_channels(&principal.account, &group.id)
        .await?;
    ensure_name_free(&siblings, &name, None)?;
    let instruments = group_instruments(registry, principal, group).await?;
    let definition = checked(&expression, &instruments)?;
    let channel = CalculatedChannel {
        account: principal.account.clone(),
        group: group.id.clone(),
        id: new_id(),
        name,
        expression,
        canonical: definition.canonical,
        sources: definition.sources,
        pins: definition.pins,
        version: 1,
        formula: 1,
        backfill: Backfill::default(),
    };
    insert(registry, principal, group, &channel, siblings.len()).await?;
    jobs.enqueue(&first_step(&channel)).await?;
    // A new channel: nothing computed yet.
    Ok(to_json(&channel, &instruments, None))
}

pub async fn copy(
    registry: &(impl Accounts + Groups + CalculatedChannels),
    jobs: &impl JobQueue,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
) -> Result<Json, ApiError> {
    let original = existing(registry, principal, group, id).await?;
    let siblings = registry
        .calculated_channels(&principal.account, &group.id)
        .await?;
    let taken: Vec<&ChannelName> = siblings.iter().map(|s| &s.name).collect();
    let name = copy_name(&original.name, &taken);
    // Checked again against the group as it is now: a channel that stopped (a source
    // deleted, or of an app registered again since) is not copied onto whatever now
    // has its sources' names; its expression is edited instead.
    let instruments = group_instruments(registry, principal, group).await?;
    if let Some(why) = original.stopped(&instruments) {
        return Err(ApiError::conflict("stopped", format!("cannot copy: {why}")));
    }
    let definition = checked(&original.canonical, &instruments)?;
    let channel = CalculatedChannel {
        id: new_id(),
        name,
        canonical: definition.canonical,
        sources: definition.sources,
        pins: definition.pins,
        version: 1,
        formula: 1,
        backfill: Backfill::default(),
        ..original
    };
    insert(registry, principal, group, &channel, siblings.len()).await?;
    jobs.enqueue(&first_step(&channel)).await?;
    Ok(to_json(&channel, &instruments, None))
}

/// Renames, changes the expression (a new formula, computed afresh), or — with neither —
/// resumes an unfinished backfill.
#[allow(clippy::too_many_arguments)]
pub async fn edit(
    registry: &(impl Groups + CalculatedChannels),
    records: &impl RecordStore,
    jobs: &impl JobQueue,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
    draft: Draft,
) -> Result<Json, ApiError> {
    let mut channel = existing(registry, principal, group, id).await?;
    let instruments = group_instruments(registry, principal, group).await?;
    if let Some(name) = draft.name {
        let name = required_name(Some(name))?;
        let siblings = registry
            .calculated_channels(&principal.account, &group.id)
            .await?;
        ensure_name_free(&siblings, &name, Some(id))?;
        channel.name = name;
    }
    let new_formula = match draft.expression.filter(|e| *e != channel.expression) {
        Some(expression) => {
            let definition = checked(&expression, &instruments)?;
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
    match registry.update_calculated(&channel, new_formula).await? {
        Saved::Written => {
            if new_formula {
                jobs.enqueue(&first_step(&channel)).await?;
            } else if !channel.backfill.done {
                // Any edit resumes a backfill that stopped (its queueing failed, say)
                // where it got to; if it is still running, the extra step finds its
                // progress recorded already and ends.
                let from = channel
                    .backfill
                    .through
                    .map_or(Millis(i64::MIN), |t| t.plus(1));
                jobs.enqueue(&RecomputeJob::start(&channel, from, rand::random()))
                    .await?;
            }
            // The change is made: a failure to read the latest value leaves it out.
            let latest = calculated_latest_of(records, &channel)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(error = ?error, "latest value left out of an answer");
                    None
                });
            Ok(to_json(&channel, &instruments, latest))
        }
        Saved::Conflict => Err(ApiError::conflict(
            "changed_meanwhile",
            format!("calculated channel `{id}` was changed or deleted meanwhile; read it again"),
        )),
    }
}

pub async fn delete(
    registry: &impl CalculatedChannels,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
) -> Result<Json, ApiError> {
    if registry
        .delete_calculated(&principal.account, &group.id, id)
        .await?
    {
        Ok(json!({ "deleted": id }))
    } else {
        Err(not_found(group, id))
    }
}

async fn existing(
    registry: &impl CalculatedChannels,
    principal: &Principal,
    group: &Group,
    id: &CalcId,
) -> Result<CalculatedChannel, ApiError> {
    registry
        .calculated_channel(&principal.account, &group.id, id)
        .await?
        .ok_or_else(|| not_found(group, id))
}

fn not_found(group: &Group, id: &CalcId) -> ApiError {
    ApiError::not_found(format!(
        "calculated channel `{id}` not found in group `{}`",
        group.id
    ))
}

fn required_name(name: Option<String>) -> Result<ChannelName, ApiError> {
    let name = name.ok_or_else(|| ApiError::bad_request("`name` is missing"))?;
    ChannelName::parse(name).map_err(|e| ApiError::bad_request(format!("`name`: {e}")))
}

fn ensure_name_free(
    siblings: &[CalculatedChannel],
    name: &ChannelName,
    except: Option<&CalcId>,
) -> Result<(), ApiError> {
    if siblings
        .iter()
        .any(|s| s.name == *name && Some(&s.id) != except)
    {
        return Err(ApiError::conflict(
            "name_taken",
            format!("the group already has a calculated channel named `{name}`"),
        ));
    }
    Ok(())
}

/// The group's instruments now: what expressions resolve against.
async fn group_instruments(
    registry: &impl Groups,
    principal: &Principal,
    group: &Group,
) -> Result<Vec<Instrument>, ApiError> {
    let (_, instruments) = registry
        .group_members(&principal.account, &group.id)
        .await?;
    Ok(instruments)
}

/// Checks an expression against the group's instruments and their acquired channels.
fn checked(expression: &str, instruments: &[Instrument]) -> Result<Definition, ApiError> {
    define(expression, instruments).map_err(|e| ApiError::invalid_expression(&e))
}

/// Creates `channel` within the plan's limit per group.
async fn insert(
    registry: &(impl Accounts + CalculatedChannels),
    principal: &Principal,
    group: &Group,
    channel: &CalculatedChannel,
    current: usize,
) -> Result<(), ApiError> {
    let plan = registry
        .account(&principal.account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?
        .plan;
    let limit = plan.limits().calculated_channels_per_group;
    if limit == 0 {
        return Err(ApiError::forbidden(format!(
            "plan {plan} has no calculated channels; upgrade to use them"
        )));
    }
    if !registry.create_calculated(channel, limit).await? {
        return Err(ApiError::conflict(
            "limit_reached",
            format!(
                "plan {plan} allows {limit} calculated channels per measurement group; group `{}` has {current}",
                group.id
            ),
        ));
    }
    Ok(())
}

/// The first step of a backfill of the channel's whole history, in a new chain.
fn first_step(channel: &CalculatedChannel) -> RecomputeJob {
    RecomputeJob::start(channel, Millis(i64::MIN), rand::random())
}

/// A new ID: 48 random bits, as 12 hex digits.
fn new_id() -> CalcId {
    CalcId::parse(format!("{:012x}", rand::random::<u64>() >> 16))
        .expect("hex digits form a valid ID")
}
