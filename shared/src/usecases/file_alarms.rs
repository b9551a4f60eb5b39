//! A measurement group's file alarms — list, create, detail, replace, delete — and what
//! they make of an indexed upload (the `files` function, once the object is indexed).
//!
//! A rule is checked whole ([`FileAlarmDraft::parse`]) and the app and instrument it
//! names must be the group's, as an upload's must ([`check_source`]). At most
//! [`MAX_FILE_ALARMS_PER_GROUP`] per group, whatever the plan: every upload is matched
//! against all of its group's.

use schemars::JsonSchema;
use serde::Serialize;

use super::caller::plan_of;
use super::notice_delivery::record_and_queue;
use super::{Conflict, Deleted, Refused};
use crate::domain::file_alarm::{
    FileAlarm, FileAlarmDraft, FileFilter, FileNotice, MAX_FILE_ALARMS_PER_GROUP,
};
use crate::domain::ids::{AccountId, AppId, FileAlarmId, FileId, GroupId, InstrumentSerial};
use crate::domain::notice::Notice;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Created, FileAlarms, Files, GroupKey, Groups, Inbox, NotifyQueue, StoreError,
};

/// A file alarm as answered.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FileAlarmView {
    pub id: FileAlarmId,
    pub name: String,
    #[serde(flatten)]
    pub filter: FileFilter,
    pub created: Millis,
}

impl FileAlarmView {
    pub fn of(alarm: &FileAlarm) -> Self {
        FileAlarmView {
            id: alarm.id.clone(),
            name: alarm.name.clone(),
            filter: alarm.filter.clone(),
            created: alarm.created,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FileAlarmList {
    pub file_alarms: Vec<FileAlarmView>,
}

pub async fn list(
    store: &impl FileAlarms,
    principal: &Principal,
    group: &Group,
) -> Result<FileAlarmList, Refused> {
    let mut alarms = store.file_alarms(&principal.account, &group.id).await?;
    alarms.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(FileAlarmList {
        file_alarms: alarms.iter().map(FileAlarmView::of).collect(),
    })
}

pub async fn detail(
    store: &impl FileAlarms,
    principal: &Principal,
    group: &Group,
    id: &FileAlarmId,
) -> Result<FileAlarmView, Refused> {
    Ok(FileAlarmView::of(
        &existing(store, principal, group, id).await?,
    ))
}

/// Creates a file alarm of ID `id` (drawn at random by the caller) at `now`: uploads
/// from then on are matched against it.
pub async fn create(
    store: &(impl Accounts + Groups + FileAlarms),
    principal: &Principal,
    group: &Group,
    draft: FileAlarmDraft,
    id: FileAlarmId,
    now: Millis,
) -> Result<FileAlarmView, Refused> {
    let (name, filter) = checked(store, principal, group, draft).await?;
    let alarm = FileAlarm {
        account: principal.account.clone(),
        group: group.id.clone(),
        id,
        name,
        filter,
        created: now,
    };
    let limit = MAX_FILE_ALARMS_PER_GROUP;
    match store.create_file_alarm(&alarm, limit).await? {
        Created::Created => Ok(FileAlarmView::of(&alarm)),
        Created::Exists => Err(Refused::conflict(
            Conflict::Exists,
            format!(
                "group `{}` has a file alarm `{}` already",
                group.id, alarm.id
            ),
        )),
        Created::LimitReached => {
            let plan = plan_of(store, principal).await?;
            Err(Refused::LimitReached {
                plan,
                limit,
                message: format!(
                    "a measurement group has at most {limit} file alarms on every plan; \
                     group `{}` has {limit}: delete one first",
                    group.id
                ),
            })
        }
    }
}

/// Replaces a file alarm's name and filter with the draft's (what it leaves out, it
/// clears); its ID and creation time stay.
pub async fn replace(
    store: &(impl Groups + FileAlarms),
    principal: &Principal,
    group: &Group,
    id: &FileAlarmId,
    draft: FileAlarmDraft,
) -> Result<FileAlarmView, Refused> {
    let (name, filter) = checked(store, principal, group, draft).await?;
    let alarm = FileAlarm {
        name,
        filter,
        ..existing(store, principal, group, id).await?
    };
    if !store.replace_file_alarm(&alarm).await? {
        return Err(not_found(group, id));
    }
    Ok(FileAlarmView::of(&alarm))
}

pub async fn delete(
    store: &impl FileAlarms,
    principal: &Principal,
    group: &Group,
    id: &FileAlarmId,
) -> Result<Deleted<FileAlarmId>, Refused> {
    if store
        .delete_file_alarm(&principal.account, &group.id, id)
        .await?
    {
        Ok(Deleted {
            deleted: id.clone(),
        })
    } else {
        Err(not_found(group, id))
    }
}

async fn checked(
    store: &impl Groups,
    principal: &Principal,
    group: &Group,
    draft: FileAlarmDraft,
) -> Result<(String, FileFilter), Refused> {
    let (name, filter) = draft.parse().map_err(Refused::invalid)?;
    let (app, instrument) = (filter.app.as_ref(), filter.instrument.as_ref());
    check_source(store, &principal.account, group, app, instrument).await?;
    Ok((name, filter))
}

async fn existing(
    store: &impl FileAlarms,
    principal: &Principal,
    group: &Group,
    id: &FileAlarmId,
) -> Result<FileAlarm, Refused> {
    store
        .file_alarm(&principal.account, &group.id, id)
        .await?
        .ok_or_else(|| not_found(group, id))
}

fn not_found(group: &Group, id: &FileAlarmId) -> Refused {
    Refused::not_found(format!(
        "file alarm `{id}` not found in group `{}`",
        group.id
    ))
}

/// That `app` (if given) is an app of `group` and `instrument` (if given) one it holds
/// there: what a file alarm and an upload may name as a file's source. Reads the
/// group's members only when an app is named.
pub async fn check_source(
    store: &impl Groups,
    account: &AccountId,
    group: &Group,
    app: Option<&AppId>,
    instrument: Option<&InstrumentSerial>,
) -> Result<(), Refused> {
    let Some(app) = app else {
        return match instrument {
            Some(_) => Err(Refused::invalid(
                "`instrument` needs `app`: an instrument's serial is unique within its app only",
            )),
            None => Ok(()),
        };
    };
    let (apps, instruments) = store.group_members(account, &group.id).await?;
    let Some(registered) = apps.iter().find(|registered| registered.id == *app) else {
        return Err(Refused::invalid(format!(
            "`app`: `{app}` is not an app of group `{}`",
            group.id
        )));
    };
    if let Some(serial) = instrument {
        let held = instruments
            .iter()
            .any(|held| held.serial == *serial && registered.holds(held));
        if !held {
            return Err(Refused::invalid(format!(
                "`instrument`: `{serial}` is not an instrument of app `{app}` in group `{}`",
                group.id
            )));
        }
    }
    Ok(())
}

/// Tells the group of file `id` of every file alarm its upload fires, once each: a
/// notice into the inbox (unless there) and onto the notify queue. Called for an
/// upload indexed now and for one reported again (its index found), so that a crash
/// between indexing and telling is mended by the report's redelivery; the notices'
/// IDs are the same each time, so the inbox takes each once and notify sends each
/// once per destination. Reads the group's file alarms (one query), and the file's
/// entry only when there are some; the notices newly put in the inbox.
pub async fn on_indexed(
    store: &(impl Files + FileAlarms + Inbox),
    notify_queue: &impl NotifyQueue,
    account: &AccountId,
    group: &GroupId,
    id: &FileId,
) -> Result<usize, StoreError> {
    let rules = store.file_alarms(account, group).await?;
    if rules.is_empty() {
        return Ok(0);
    }
    let key = GroupKey { account, group };
    // Deleted since it was indexed: nothing left to tell of.
    let Some(file) = store.file(key, id).await? else {
        return Ok(0);
    };
    let mut recorded = 0;
    for rule in rules.iter().filter(|rule| rule.fires_on(&file)) {
        let notice = Notice::File(FileNotice::of(rule, &file));
        if record_and_queue(store, notify_queue, key, notice).await? {
            recorded += 1;
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests;
