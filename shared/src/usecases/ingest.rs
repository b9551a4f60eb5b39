//! Ingest: device records in, stored exactly once.
//!
//! The `ingest` Lambda calls [`handle`] with the IoT rule's [`RuleEvent`]. A message
//! that cannot be a batch, or that comes from an unknown or disabled app, is refused
//! whole and logged; inside a batch each record stands or falls alone. Refusals return success, because Lambda
//! retrying a bad message cannot make it good; storage failures return an error, so
//! Lambda redelivers the batch — harmless, since every write here is idempotent.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::alarm_evaluation::{evaluate_on_ingest, AlarmReport, Arrivals};
use super::app_status;
use super::calculation::{compute_and_store, SourceValues};
use crate::domain::channel::ChannelRef;
use crate::domain::ids::{ChannelName, InstrumentSerial};
use crate::domain::ingest::{encode_records, select_new_channels};
use crate::domain::iot_thing::Stack;
use crate::domain::presence::writes_last_seen;
use crate::domain::protocol::{parse_event, Batch, RuleEvent};
use crate::domain::record::{Millis, Record};
use crate::domain::registry::{Account, App, AppKind, AppLimits, Instrument, RegistrationId};
use crate::ports::ChunkStore;
use crate::ports::{
    Accounts, AlarmStates, Alarms, AppStatuses, Apps, CalculatedChannels, GroupKey, Inbox,
    Instruments, NotifyQueue, RecordStore, Registration, Renewal, Saved, StoreError, StoredRecord,
};
use crate::usecases::history;
use serde::Serialize;

/// Revision-checked writes that lose a race re-read and re-apply; this many losses in a
/// row means something is wrong, and the invocation fails so Lambda retries later.
const MAX_REVISION_ATTEMPTS: usize = 10;
const REVISION_BACKOFF: std::time::Duration = std::time::Duration::from_millis(5);

/// What one message did, returned to the caller and logged.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct IngestReport {
    /// Records newly stored (a redelivered record, stored already, does not count).
    pub stored: usize,
    /// Calculated-channel values written.
    pub calculated: usize,
    /// What the group's data alarms made of the message.
    pub alarms: AlarmReport,
    /// Whether the message told the app's group it is connected again (see
    /// [`crate::domain::app_status`]).
    pub reconnected: bool,
    /// Why individual records were not stored.
    pub rejected: Vec<String>,
    /// Channels not stored because the instrument has reached its plan's channel limit.
    pub channels_over_limit: Vec<String>,
    /// Why the whole message was refused, if it was.
    pub refused: Option<String>,
}

/// Draws a new instrument's instance: random, so that its records share no key with
/// those of an instrument of the same serial deleted before.
pub type NewInstance = dyn Fn() -> RegistrationId + Sync;

/// A failure a retry can fix.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} kept changing under concurrent writers; gave up for a retry")]
    Contention(String),
}

/// Handles one IoT rule event of `stack`'s rule. `new_instance` draws the random
/// instance of each instrument registered on the way.
pub async fn handle(
    event: &RuleEvent,
    stack: &Stack,
    store: &(impl Accounts
          + Apps
          + AppStatuses
          + Instruments
          + CalculatedChannels
          + Alarms
          + AlarmStates
          + Inbox),
    record_store: &(impl RecordStore + ChunkStore),
    notify_queue: &impl NotifyQueue,
    new_instance: &NewInstance,
) -> Result<IngestReport, IngestError> {
    let report = IngestReport::default();
    let Some((account, app_id)) = stack.app_of(&event.thing) else {
        return Ok(refuse(
            report,
            &event.thing,
            format!("thing is not an app of stack {}", stack.as_str()),
        ));
    };
    // The account comes from the store, found by the thing name IoT Core bound to the
    // app's certificate; nothing in the payload is trusted for it.
    let app = match store.app(&account, &app_id).await? {
        Some(app) if app.enabled => app,
        Some(_) => return Ok(refuse(report, &event.thing, "app is disabled".into())),
        None => {
            return Ok(refuse(
                report,
                &event.thing,
                "unknown app: not registered".into(),
            ))
        }
    };
    // A message may be handled long after it was sent (Lambda's queue, its retries): by
    // then the app may have been deleted and its ID registered again, or its certificate
    // replaced. Such a message belongs to a registration or certificate that is gone.
    if let Some(reason) = sent_by_another_registration(event, &app) {
        return Ok(refuse(report, &event.thing, reason));
    }
    let Some(account) = store.account(&app.account).await? else {
        return Ok(refuse(
            report,
            &event.thing,
            format!("account {} of app does not exist", app.account),
        ));
    };
    let received_at = Millis(event.received_at);
    if account.trial_over(received_at) {
        return Ok(refuse(
            report,
            &event.thing,
            format!("the Trial of account {} has ended", account.id),
        ));
    }
    let plan = account.plan_at(received_at);
    if app.kind == AppKind::DirectLogger && plan.limits().channels_per_direct_logger.is_none() {
        return Ok(refuse(
            report,
            &event.thing,
            format!("plan {plan} has no direct-connected loggers"),
        ));
    }
    let batch = match parse_event(event) {
        Ok(batch) => batch,
        Err(error) => return Ok(refuse(report, &event.thing, error.to_string())),
    };
    let message = Message {
        limits: app.kind.limits(&plan.limits()),
        app: &app,
        zone: account.time_zone.tz(),
        new_instance,
        now: received_at,
    };
    ingest_batch(store, record_store, notify_queue, &message, batch, report).await
}

/// Stores `records` of instrument `serial` of `app`, read from a file (an import), as
/// ingest stores a device's: channels within the plan's limits, each record once
/// (importing a file again stores nothing new), calculated channels computed. Data
/// alarms are not evaluated: history arriving in bulk is not an event to be told of now.
pub async fn store_imported(
    store: &(impl Instruments + CalculatedChannels),
    record_store: &(impl RecordStore + ChunkStore),
    (app, account): (&App, &Account),
    serial: &InstrumentSerial,
    records: &[Record],
    new_instance: &NewInstance,
    now: Millis,
) -> Result<IngestReport, IngestError> {
    let plan = account.plan_at(now);
    let message = Message {
        limits: app.kind.limits(&plan.limits()),
        app,
        zone: account.time_zone.tz(),
        new_instance,
        now,
    };
    let mut report = IngestReport::default();
    let mut arrivals = Arrivals::default();
    ingest_instrument(
        store,
        record_store,
        &message,
        (serial, records),
        &mut arrivals,
        &mut report,
    )
    .await?;
    Ok(report)
}

/// Why a message cannot be the current registration's, if it cannot: it arrived before
/// the registration existed, or came with a certificate that is not the app's.
fn sent_by_another_registration(event: &RuleEvent, app: &App) -> Option<String> {
    if event.received_at < app.registered.0 {
        return Some(format!(
            "stale message: received at {} ms, before the app was registered again at {} ms",
            event.received_at, app.registered.0
        ));
    }
    match (&event.principal, &app.certificate) {
        (Some(sent_with), Some(current)) if sent_with != current => Some(format!(
            "stale certificate: sent with certificate {sent_with}, which is not the app's current one"
        )),
        _ => None,
    }
}

async fn ingest_batch(
    store: &(impl Apps + AppStatuses + Instruments + CalculatedChannels + Alarms + AlarmStates + Inbox),
    record_store: &(impl RecordStore + ChunkStore),
    notify_queue: &impl NotifyQueue,
    message: &Message<'_>,
    batch: Batch,
    mut report: IngestReport,
) -> Result<IngestReport, IngestError> {
    let app = message.app;
    report.rejected = batch.rejected.iter().map(ToString::to_string).collect();

    let mut by_instrument: BTreeMap<InstrumentSerial, Vec<Record>> = BTreeMap::new();
    for record in batch.records {
        by_instrument
            .entry(record.instrument.clone())
            .or_default()
            .push(record);
    }
    let mut newest_record = None;
    let mut arrivals = Arrivals::default();
    for (serial, records) in by_instrument {
        let newest = ingest_instrument(
            store,
            record_store,
            message,
            (&serial, &records),
            &mut arrivals,
            &mut report,
        )
        .await?;
        newest_record = newest_record.max(newest);
    }
    // 3. The group's alarms, once for the whole message, after every record of it is
    //    stored: an alarm on two instruments of the message decides their instants
    //    together.
    let group = GroupKey {
        account: &app.account,
        group: &app.group,
    };
    report.alarms = evaluate_on_ingest(
        store,
        record_store,
        notify_queue,
        group,
        &message.zone,
        &arrivals,
    )
    .await?;
    // Latest values and an instrument's last-seen time are the newest records; the app's
    // own last-seen time is written only when those cannot show it (see
    // `crate::domain::presence`).
    if writes_last_seen(app, batch.received_at, newest_record) {
        store.touch_app(app, batch.received_at).await?;
    }
    // The records are stored: a status not written now is settled by the app's next
    // message or the sweep, so its failure is logged, not retried with the message.
    match app_status::on_message(app, batch.received_at, store, notify_queue).await {
        Ok(reconnected) => report.reconnected = reconnected,
        Err(error) => {
            tracing::warn!(account = %app.account, app = %app.id, %error, "app status not updated")
        }
    }

    if report.rejected.is_empty() && report.channels_over_limit.is_empty() {
        tracing::info!(account = %app.account, app = %app.id, stored = report.stored, "ingested");
    } else {
        tracing::warn!(
            account = %app.account,
            app = %app.id,
            stored = report.stored,
            rejected = ?report.rejected,
            channels_over_limit = ?report.channels_over_limit,
            "ingested with rejections"
        );
    }
    Ok(report)
}

/// Refuses the whole message, logged with the thing name (`{stack}:{account}:{app}`, so
/// the account is in it) and the reason an operator searches for.
fn refuse(mut report: IngestReport, thing: &str, reason: String) -> IngestReport {
    tracing::warn!(thing = %thing, %reason, "message refused");
    report.refused = Some(reason);
    report
}

/// What every instrument of one message is ingested with.
struct Message<'a> {
    app: &'a App,
    limits: AppLimits,
    /// The account's time zone, for alarm windows.
    zone: Tz,
    new_instance: &'a NewInstance,
    /// When the message was received (the file imported).
    now: Millis,
}

/// Ingests one instrument's records, adding what was stored to `arrivals`; returns the
/// newest record time now stored for it (newly or before), if any.
async fn ingest_instrument(
    store: &(impl Instruments + CalculatedChannels),
    record_store: &(impl RecordStore + ChunkStore),
    message: &Message<'_>,
    (serial, records): (&InstrumentSerial, &[Record]),
    arrivals: &mut Arrivals,
    report: &mut IngestReport,
) -> Result<Option<Millis>, IngestError> {
    let limits = &message.limits;
    let Some(mut instrument) = find_or_register(store, message, serial).await? else {
        report.rejected.push(format!(
            "{} records of instrument {serial}: the app already has {} instruments, the limit of its plan",
            records.len(),
            limits.instruments
        ));
        return Ok(None);
    };

    // 1. Select new channels first and commit the dictionary, so the indexes the records
    //    are encoded with are the ones every other writer sees.
    for attempt in 1.. {
        let selection = select_new_channels(&instrument, records, limits.channels_per_instrument);
        note_over_limit(report, &instrument, &selection.over_limit, limits);
        if selection.added.is_empty() {
            break;
        }
        let mut next = instrument.clone();
        next.channels.extend(selection.added);
        instrument = match store.save_instrument(&next).await? {
            Saved::Written => Instrument {
                rev: next.rev + 1,
                ..next
            },
            Saved::Conflict => reload(store, &instrument, attempt).await?,
        };
    }

    // 2. Store the records. Keyed by (instrument, time), each written only where none is
    //    stored: a redelivery changes nothing. Nothing else is written per record: the
    //    latest values are read from the newest records.
    let key = instrument.key();
    let encoded: Vec<StoredRecord> = encode_records(&instrument, records)
        .into_iter()
        .map(|r| StoredRecord {
            instrument: key.clone(),
            t: r.t,
            values: r.values,
        })
        .collect();
    let newly = record_store.put(&encoded).await?;
    report.stored += newly.count();
    // 2b. Calculated channels fed by this instrument, read only now that the records
    //     are stored: of two instruments ingested at once, the later reader sees the
    //     other's record; and a formula created or edited after this read is backfilled
    //     over records that include these. Either way no value is missed.
    compute_calculated(
        store,
        record_store,
        message,
        &instrument,
        &encoded,
        arrivals,
        report,
    )
    .await?;
    let newest = encoded.iter().map(|r| r.t).max();
    arrivals.measured(&instrument, encoded, newly);
    Ok(newest)
}

/// Computes every calculated channel of the app's group with a source on `instrument`
/// at the times of the records just stored.
async fn compute_calculated(
    store: &(impl Instruments + CalculatedChannels),
    record_store: &(impl RecordStore + ChunkStore),
    message: &Message<'_>,
    instrument: &Instrument,
    stored: &[StoredRecord],
    arrivals: &mut Arrivals,
    report: &mut IngestReport,
) -> Result<(), IngestError> {
    let app = message.app;
    // Another source's records at these times may have expired (a backlog's).
    let compacted_before = history::surely_raw_after(message.now);
    let is_here = |source: &ChannelRef| {
        source.app == instrument.app && source.instrument == instrument.serial
    };
    let mut affected = Vec::new();
    for channel in store.calculated_channels(&app.account, &app.group).await? {
        match channel.program() {
            Ok(program)
                if program.sources().iter().any(is_here) && channel.computes_from(instrument) =>
            {
                affected.push((channel, program))
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(calculated = %channel.id, %error, "stored expression does not compile")
            }
        }
    }
    if affected.is_empty() {
        return Ok(());
    }
    let times: Vec<Millis> = stored.iter().map(|r| r.t).collect();
    let mut values = SourceValues::default();
    values.add(instrument, stored)?;
    for (channel, program) in &affected {
        values
            .fetch(
                store,
                record_store,
                channel,
                program.sources(),
                &times,
                compacted_before,
            )
            .await?;
        let computed = compute_and_store(record_store, channel, program, &times, &values).await?;
        report.calculated += computed.newly.count();
        arrivals.calculated(channel, computed.records, computed.newly);
    }
    Ok(())
}

fn note_over_limit(
    report: &mut IngestReport,
    instrument: &Instrument,
    over_limit: &[ChannelName],
    limits: &AppLimits,
) {
    for channel in over_limit {
        let note = format!(
            "{}/{channel}: not acquired, the instrument has {} channels, the limit of its plan",
            instrument.serial, limits.channels_per_instrument
        );
        if !report.channels_over_limit.contains(&note) {
            report.channels_over_limit.push(note);
        }
    }
}

async fn find_or_register(
    store: &impl Instruments,
    message: &Message<'_>,
    serial: &InstrumentSerial,
) -> Result<Option<Instrument>, IngestError> {
    let (app, limits, new_instance) = (message.app, &message.limits, message.new_instance);
    if let Some(instrument) = store.instrument(&app.account, &app.id, serial).await? {
        if instrument.registration == app.registration {
            return Ok(Some(instrument));
        }
        // An item of an earlier registration of this app ID, left by an invocation that
        // was still running when the app was deleted and registered again: it must never
        // receive this registration's records. It sits under this app and counts against
        // it already, so it becomes this registration's new, empty instrument in place.
        tracing::warn!(app = %app.id, instrument = %serial, "renewing an instrument of an earlier registration");
        return match store
            .renew_instrument(&instrument, app, new_instance(), limits.instruments)
            .await?
        {
            Renewal::Renewed(renewed) => Ok(Some(*renewed)),
            Renewal::LimitReached => Ok(None),
            // Renewed (or changed) by a concurrent invocation meanwhile: a retry reads it.
            Renewal::Changed => Err(IngestError::Store(StoreError::Unavailable(format!(
                "instrument {} changed while being renewed",
                instrument.key().as_str()
            )))),
        };
    }
    match store
        .register_instrument(app, serial, new_instance(), limits.instruments)
        .await?
    {
        Registration::Registered(instrument) => {
            tracing::info!(app = %app.id, instrument = %serial, "instrument registered");
            Ok(Some(*instrument))
        }
        Registration::AlreadyExists => {
            match store.instrument(&app.account, &app.id, serial).await? {
                Some(instrument) if instrument.registration != app.registration => {
                    // Raced with a writer of an earlier registration: a retry removes it.
                    Err(IngestError::Store(StoreError::Unavailable(format!(
                        "instrument {} of an earlier registration appeared meanwhile",
                        instrument.key().as_str()
                    ))))
                }
                found => Ok(found),
            }
        }
        Registration::LimitReached => Ok(None),
    }
}

async fn reload(
    store: &impl Instruments,
    instrument: &Instrument,
    attempt: usize,
) -> Result<Instrument, IngestError> {
    if attempt >= MAX_REVISION_ATTEMPTS {
        return Err(IngestError::Contention(format!(
            "instrument {}",
            instrument.key().as_str()
        )));
    }
    // Back off a little more each time, so writers racing for one instrument (a backlog
    // replayed as many concurrent messages) spread out instead of colliding again.
    tokio::time::sleep(REVISION_BACKOFF * attempt as u32).await;
    // Gone, or now of another registration of its app (deleted and registered again
    // meanwhile): this message is not the new one's. A retry finds out which and refuses
    // it as stale, or finds the instrument again.
    store
        .instrument(&instrument.account, &instrument.app, &instrument.serial)
        .await?
        .filter(|found| found.registration == instrument.registration)
        .ok_or_else(|| {
            IngestError::Store(StoreError::Unavailable(format!(
                "instrument {} vanished or was registered again while ingesting",
                instrument.key().as_str()
            )))
        })
}
