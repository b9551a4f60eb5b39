//! The registry: accounts, measurement groups, apps and instruments, as the domain sees
//! them (the DynamoDB layout is in `adapters::dynamodb`).

use super::access::Grant;
use super::allowlist::{allowed, Cidr};
use super::app_status::AppStatus;
use super::ids::{AccountId, AppId, ChannelName, GroupId, InstrumentSerial};
use super::plan::{Limits, Plan};
use super::record::Millis;
use super::settings::{Language, TimeZone};

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub plan: Plan,
    /// The addresses the account may be used from (Pro); empty allows all.
    pub allow_list: Vec<Cidr>,
    /// Where license, storage and deletion notices go.
    pub contract_email: Option<String>,
    /// The zone people of the account read times in.
    pub time_zone: TimeZone,
    /// The language of the account's notifications.
    pub language: Language,
    /// When the account was created: a Trial ends [`TRIAL_DAYS`] later.
    pub created: Millis,
    /// When a paid (Standard or Pro) license ends, UTC.
    pub license_expires: Option<Millis>,
    /// Pro: a second ID to log in with, in place of the account ID.
    pub login_alias: Option<AccountId>,
    /// When its admin last changed the plan (at most once a calendar month).
    pub plan_changed: Option<Millis>,
}

/// A Trial account ends this many days after it was created.
pub const TRIAL_DAYS: i64 = 93;

impl Account {
    /// A new account with default settings (UTC, English, no contract e-mail).
    pub fn new(id: AccountId, name: String, plan: Plan, created: Millis) -> Account {
        Account {
            id,
            name,
            plan,
            allow_list: Vec::new(),
            contract_email: None,
            time_zone: TimeZone::utc(),
            language: Language::default(),
            created,
            license_expires: None,
            login_alias: None,
            plan_changed: None,
        }
    }

    /// When a Trial ends; other plans do not end this way.
    pub fn trial_ends(&self) -> Option<Millis> {
        (self.plan == Plan::Trial).then(|| self.created.plus(TRIAL_DAYS * Millis::DAY))
    }

    /// Whether the account is a Trial past its end: it can no longer be used.
    pub fn trial_over(&self, now: Millis) -> bool {
        self.trial_ends().is_some_and(|end| now >= end)
    }

    /// The plan in force at `now`: a Standard or Pro license not renewed is Free from its
    /// expiry date on, whether or not the scheduled job has rewritten the account yet.
    pub fn plan_at(&self, now: Millis) -> Plan {
        match (self.plan, self.license_expires) {
            (Plan::Standard | Plan::Pro, Some(expires)) if now >= expires => Plan::Free,
            (plan, _) => plan,
        }
    }

    /// Whether a request from `address` may use the account: only plans with the
    /// allow-list feature apply it, so a downgraded account is not locked by a stale list.
    pub fn admits(&self, address: Option<std::net::IpAddr>) -> bool {
        !self.plan.limits().ip_allow_list || allowed(&self.allow_list, address)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub account: AccountId,
    pub id: GroupId,
    pub name: String,
    /// Which users and teams may see or edit it (account admins always may).
    pub grants: Vec<Grant>,
}

/// What kind of software an app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppKind {
    /// Gateway software (PC, phone) publishing for the instruments attached to it.
    #[default]
    Gateway,
    /// A data logger connected to the cloud directly: the app is the instrument itself,
    /// with the plan's larger direct-connected channel limit (none on Trial).
    DirectLogger,
}

/// What a plan allows one app of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppLimits {
    pub instruments: u32,
    pub channels_per_instrument: u32,
}

impl AppKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Gateway => "gateway",
            AppKind::DirectLogger => "direct_logger",
        }
    }

    pub fn parse(text: &str) -> Option<AppKind> {
        match text {
            "gateway" => Some(AppKind::Gateway),
            "direct_logger" => Some(AppKind::DirectLogger),
            _ => None,
        }
    }

    /// The limits for an app of this kind on a plan with `limits`. A direct-connected
    /// logger left on a plan without them (a downgrade to Trial) gets the plan's
    /// ordinary channel limit.
    pub fn limits(self, limits: &Limits) -> AppLimits {
        match self {
            AppKind::Gateway => AppLimits {
                instruments: limits.instruments_per_app,
                channels_per_instrument: limits.channels_per_instrument,
            },
            AppKind::DirectLogger => AppLimits {
                instruments: 1,
                channels_per_instrument: limits
                    .channels_per_direct_logger
                    .unwrap_or(limits.channels_per_instrument),
            },
        }
    }
}

/// A registered app (gateway or direct-connected logger). Its account and group come from
/// here, never from what the app sends. Its ID is unique within its account.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub id: AppId,
    pub account: AccountId,
    pub group: GroupId,
    /// Random per registration: the keys of the app's records carry it, so an app
    /// deleted and registered again under the same ID (in another group, say) starts
    /// with no history, and nothing that pinned the old registration reads the new one.
    pub registration: RegistrationId,
    /// When it was registered: a message received before then was sent to an earlier
    /// registration of the same ID and is not this one's.
    pub registered: Millis,
    pub name: String,
    pub kind: AppKind,
    pub enabled: bool,
    /// The IoT Core certificate the app connects with (none for apps made by the seeds).
    pub certificate: Option<String>,
    /// When the cloud received a message from it (receive time, not record time: an app
    /// replaying an old backlog is connected now), written only when the message's
    /// records do not show it (see [`super::presence`]).
    pub last_seen: Option<Millis>,
    /// Whether its group was last told it is connected (see [`super::app_status`]).
    pub status: AppStatus,
}

impl App {
    /// Whether `instrument` is one of this registration's, in its group: an item an
    /// earlier registration of the ID left behind, or one of another account, is not.
    pub fn holds(&self, instrument: &Instrument) -> bool {
        instrument.account == self.account
            && instrument.app == self.id
            && instrument.registration == self.registration
            && instrument.group == self.group
    }
}

/// Of `instruments`, those one of `apps` holds (see [`App::holds`]): what a group's views
/// show; an item an earlier registration left behind is neither shown nor read.
pub fn held_by(apps: &[App], instruments: &[Instrument]) -> Vec<Instrument> {
    instruments
        .iter()
        .filter(|i| apps.iter().any(|a| a.holds(i)))
        .cloned()
        .collect()
}

/// One registration of an app: 48 random bits, shown as 12 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(u64);

impl RegistrationId {
    /// A registration from random bits (the caller supplies the randomness).
    pub fn from_random(bits: u64) -> RegistrationId {
        RegistrationId(bits >> 16)
    }

    /// Reads the 12 hex digits back.
    pub fn parse(text: &str) -> Option<RegistrationId> {
        (text.len() == 12)
            .then(|| u64::from_str_radix(text, 16).ok())
            .flatten()
            .map(RegistrationId)
    }
}

impl std::fmt::Display for RegistrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:012x}", self.0)
    }
}

/// The stable key of an instrument's records:
/// `{account}/{app}.{registration}/{serial}/{instance}`. It starts with the account, so
/// no other account's key can equal it; it carries the app's registration, so a
/// re-registered app never reads the records of the one before, and the instrument's own
/// instance, so an instrument deleted and sent again under its serial starts with no
/// history either (its channel dictionary starts afresh: old records would decode under
/// the wrong names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentKey(String);

impl InstrumentKey {
    pub fn new(instrument: &Instrument) -> Self {
        let Instrument {
            account,
            app,
            registration,
            serial,
            instance,
            ..
        } = instrument;
        // `.` is in no app ID, so the registration cannot be confused with part of one;
        // `/` is in no serial.
        InstrumentKey(format!(
            "{account}/{app}.{registration}/{serial}/{instance}"
        ))
    }

    /// The key the values of formula `formula` of a calculated channel are stored under.
    /// It has one slash where a measured instrument's has three, and `@`, which no thing
    /// name or serial has, so the two can never collide.
    pub fn calculated(account: &AccountId, id: &super::ids::CalcId, formula: u64) -> Self {
        InstrumentKey(format!("{account}/calc:{id}@{formula}"))
    }

    /// Rebuilds a key read back from storage.
    pub fn from_stored(key: String) -> Self {
        InstrumentKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The account the key starts with; `None` for a key no instrument or calculated
    /// channel was ever stored under.
    pub fn account(&self) -> Option<AccountId> {
        let (account, _) = self.0.split_once('/')?;
        AccountId::parse(account).ok()
    }

    /// Whether records are stored under this key, rather than what is derived from them
    /// (chunks, rollups: their keys add a `#` part, which no ID holds).
    pub fn holds_records(&self) -> bool {
        !self.0.contains('#')
    }
}

/// An instrument attached to an app, with the state ingest keeps for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub account: AccountId,
    pub group: GroupId,
    pub app: AppId,
    /// The registration of its app it belongs to (see [`App::registration`]).
    pub registration: RegistrationId,
    pub serial: InstrumentSerial,
    /// Random per registration of the instrument (the first record of its serial on the
    /// app, or the first after it was deleted): its records' keys carry it.
    pub instance: RegistrationId,
    /// Channels selected for acquisition, in dictionary order: a channel's position is
    /// the index its values are stored under, so the list only ever grows.
    pub channels: Vec<ChannelName>,
    /// Channels taken out of acquisition (by dictionary index, sorted): their values are
    /// no longer stored, and they do not count against the plan's channel limit.
    pub deselected: Vec<u32>,
    /// What people call it (the serial when unset).
    pub label: Option<String>,
    /// Free text: where it is installed, what it measures.
    pub note: Option<String>,
    /// Optimistic-concurrency revision: every write checks and bumps it.
    pub rev: u64,
}

impl Instrument {
    /// A new instrument of `app`, `instance` drawn at random by the caller.
    pub fn new(app: &App, serial: InstrumentSerial, instance: RegistrationId) -> Instrument {
        Instrument {
            account: app.account.clone(),
            group: app.group.clone(),
            app: app.id.clone(),
            registration: app.registration,
            serial,
            instance,
            channels: Vec::new(),
            deselected: Vec::new(),
            label: None,
            note: None,
            rev: 0,
        }
    }

    pub fn key(&self) -> InstrumentKey {
        InstrumentKey::new(self)
    }

    /// How many channels are acquired: what the plan's per-instrument limit counts.
    pub fn acquired_count(&self) -> usize {
        self.channels.len() - self.deselected.len()
    }

    pub fn is_acquired(&self, index: u32) -> bool {
        (index as usize) < self.channels.len() && self.deselected.binary_search(&index).is_err()
    }

    pub fn channel_index(&self, name: &ChannelName) -> Option<u32> {
        self.channels
            .iter()
            .position(|c| c == name)
            .map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_holds_only_instruments_of_its_own_registration_account_and_group() {
        let app = App {
            id: AppId::parse("gw").unwrap(),
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            registration: RegistrationId::from_random(1 << 16),
            registered: Millis(0),
            name: "gw".into(),
            kind: AppKind::Gateway,
            enabled: true,
            certificate: None,
            last_seen: None,
            status: Default::default(),
        };
        let mine = Instrument::new(
            &app,
            InstrumentSerial::parse("LR-1").unwrap(),
            RegistrationId::from_random(2 << 16),
        );
        assert!(app.holds(&mine));
        let strangers = [
            Instrument {
                registration: RegistrationId::from_random(9 << 16),
                ..mine.clone()
            },
            Instrument {
                account: AccountId::parse("other").unwrap(),
                ..mine.clone()
            },
            Instrument {
                group: GroupId::parse("lab").unwrap(),
                ..mine.clone()
            },
            Instrument {
                app: AppId::parse("gw-2").unwrap(),
                ..mine.clone()
            },
        ];
        for stranger in &strangers {
            assert!(!app.holds(stranger), "{stranger:?}");
        }
    }

    fn account(plan: Plan, license_expires: Option<Millis>) -> Account {
        Account {
            license_expires,
            ..Account::new(
                AccountId::parse("acme").unwrap(),
                "Acme".into(),
                plan,
                Millis(0),
            )
        }
    }

    #[test]
    fn a_paid_license_not_renewed_is_free_from_its_expiry_on() {
        let expires = Millis(1_000_000);
        for plan in [Plan::Standard, Plan::Pro] {
            let paid = account(plan, Some(expires));
            assert_eq!(paid.plan_at(Millis(expires.0 - 1)), plan);
            assert_eq!(paid.plan_at(expires), Plan::Free);
            assert_eq!(account(plan, None).plan_at(expires), plan);
        }
        assert_eq!(
            account(Plan::Free, Some(expires)).plan_at(expires),
            Plan::Free
        );
        assert_eq!(account(Plan::Trial, None).plan_at(expires), Plan::Trial);
    }

    #[test]
    fn a_trial_is_over_93_days_after_it_began() {
        let trial = account(Plan::Trial, None);
        let end = Millis(93 * Millis::DAY);
        assert!(!trial.trial_over(Millis(end.0 - 1)));
        assert!(trial.trial_over(end));
        assert!(!account(Plan::Free, None).trial_over(end));
    }

    #[test]
    fn an_instrument_key_tells_its_account() {
        let acme = AccountId::parse("acme").unwrap();
        let calc =
            InstrumentKey::calculated(&acme, &super::super::ids::CalcId::parse("c1").unwrap(), 3);
        assert_eq!(calc.account(), Some(acme.clone()));
        let measured = InstrumentKey::from_stored("acme/gw-1.r1/LR8450/i9".into());
        assert_eq!(measured.account(), Some(acme));
        assert_eq!(
            InstrumentKey::from_stored("no-slash".into()).account(),
            None
        );
        assert_eq!(
            InstrumentKey::from_stored("Bad Id/x".into()).account(),
            None
        );
    }
}
