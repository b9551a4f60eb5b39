//! The narrow capabilities the handlers need from storage. Handlers are generic over
//! these, so the same code runs in Lambda, in the local cloud and in tests.

use async_trait::async_trait;

use crate::domain::access::Team;
use crate::domain::allowlist::Cidr;
use crate::domain::auth::{
    ApiToken, AuditEvent, AuditPage, AuditQuery, PasswordReset, Role, Session, Signup, TotpState,
    User,
};
use crate::domain::calculated::{Backfill, CalculatedChannel, RecomputeJob};
use crate::domain::ids::{AccountId, AppId, CalcId, GroupId, InstrumentSerial, TeamId, UserId};
use crate::domain::iot_thing::IotThing;
use crate::domain::record::Millis;
use crate::domain::registry::{Account, App, Group, Instrument, InstrumentKey, RegistrationId};
use crate::domain::settings::Logo;

/// A storage failure. `Unavailable` is worth a retry (throttling, network); `Corrupt`
/// is not: stored data no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Outcome of registering an instrument on an app.
#[derive(Debug)]
pub enum Registration {
    Registered(Box<Instrument>),
    /// Another invocation registered it first; read it back.
    AlreadyExists,
    /// The app already has as many instruments as its plan allows.
    LimitReached,
}

/// Outcome of renewing an instrument item left by an earlier registration.
#[derive(Debug)]
pub enum Renewal {
    Renewed(Box<Instrument>),
    /// The item changed since it was read: read it again.
    Changed,
    /// The app has as many instruments as its plan allows (or was registered again).
    LimitReached,
}

/// Outcome of creating something that counts against a plan limit.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Created,
    /// The plan's limit is reached; nothing changed.
    LimitReached,
    /// The ID is taken.
    Exists,
}

/// Outcome of changing or deleting a user.
#[derive(Debug, PartialEq, Eq)]
pub enum UserChange {
    Done,
    /// No such user, or its role changed since it was read.
    Missing,
    /// It would leave the account without an admin; nothing changed.
    LastAdmin,
}

/// Outcome of setting a password (and ending the user's sessions with it).
#[derive(Debug, PartialEq, Eq)]
pub enum PasswordSet {
    /// Done: the user's sessions are in this generation now.
    Set {
        generation: u64,
    },
    NoUser,
    /// The generation moved since it was read (another change at once): read it again.
    Raced,
}

/// Outcome of a revision-checked write.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    Written,
    /// Someone else wrote since the revision was read; read again and re-apply.
    Conflict,
}

/// The apps, instruments, groups and accounts.
#[async_trait]
pub trait Registry: Send + Sync {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError>;
    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError>;
    /// An app of an account: app IDs are unique only within their account.
    async fn app(&self, account: &AccountId, thing: &AppId) -> Result<Option<App>, StoreError>;
    async fn instrument(
        &self,
        account: &AccountId,
        thing: &AppId,
        serial: &InstrumentSerial,
    ) -> Result<Option<Instrument>, StoreError>;
    /// The apps and instruments of a measurement group of an account.
    async fn group_members(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<(Vec<App>, Vec<Instrument>), StoreError>;
    /// Registers a new instrument on `app` as `instance` unless the app has `limit`
    /// already; two concurrent registrations can never both take the last slot.
    async fn register_instrument(
        &self,
        app: &App,
        serial: &InstrumentSerial,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Registration, StoreError>;
    /// Makes an instrument item left by an earlier registration of `app`'s ID (`stale`)
    /// a new, empty instrument of `app` in place, counted on `app` within `limit` — if
    /// the item is still as read.
    async fn renew_instrument(
        &self,
        stale: &Instrument,
        app: &App,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Renewal, StoreError>;
    /// Writes the instrument's channels (acquired or not), name and note if its stored
    /// revision and registration are still `instrument`'s, and bumps the revision.
    async fn save_instrument(&self, instrument: &Instrument) -> Result<Saved, StoreError>;
    /// Moves the app's last-seen time forward to `at` (never backward).
    async fn touch_app(&self, app: &App, at: Millis) -> Result<(), StoreError>;

    /// Writes an account's name, contract e-mail, time zone and language; `false` if there
    /// is no such account.
    async fn update_settings(&self, account: &Account) -> Result<bool, StoreError>;
    /// The account that logs in with `alias` (Pro's alternate login account ID).
    async fn account_by_alias(&self, alias: &AccountId) -> Result<Option<AccountId>, StoreError>;
    /// Replaces the account's login alias (`None` removes it) if the account still has the
    /// alias it was read with and the new one is neither an alias nor an account ID yet;
    /// `false` otherwise.
    async fn set_login_alias(
        &self,
        account: &Account,
        alias: Option<&AccountId>,
    ) -> Result<bool, StoreError>;
    async fn logo(&self, account: &AccountId) -> Result<Option<Logo>, StoreError>;
    /// Replaces (or with `None` removes) the account's logo.
    async fn set_logo(&self, account: &AccountId, logo: Option<&Logo>) -> Result<(), StoreError>;
    /// Replaces an account's IP allow-list.
    async fn set_allow_list(&self, account: &AccountId, ranges: &[Cidr]) -> Result<(), StoreError>;
    /// The measurement groups of an account.
    async fn groups(&self, account: &AccountId) -> Result<Vec<Group>, StoreError>;
    /// Creates a group unless the account has `limit` already (race-safe).
    async fn create_group(&self, group: &Group, limit: u32) -> Result<Created, StoreError>;
    /// Replaces a group's grants; `false` if there is no such group.
    async fn set_grants(&self, group: &Group) -> Result<bool, StoreError>;
    /// Renames a group; `false` if there is none.
    async fn rename_group(&self, group: &Group) -> Result<bool, StoreError>;
    /// Deletes a group that has no apps and no calculated channels; `false` if there is
    /// no such group or it is not empty.
    async fn delete_group(&self, account: &AccountId, id: &GroupId) -> Result<bool, StoreError>;
    /// Registers an app in its group unless the account has `limit` apps already or has
    /// an app of that ID (race-safe).
    async fn register_app(&self, app: &App, limit: u32) -> Result<Created, StoreError>;
    /// Records the IoT certificate an app connects with; `false` if there is no such app.
    async fn set_certificate(&self, app: &App, certificate_id: &str) -> Result<bool, StoreError>;
    /// Writes an app's name and enabled switch; `false` if it is not the account's.
    async fn update_app(&self, app: &App) -> Result<bool, StoreError>;
    /// Deletes an instrument and frees its slot on the app; `false` if there was none.
    async fn delete_instrument(&self, instrument: &Instrument) -> Result<bool, StoreError>;
    /// Deletes an app and its instruments; `false` if it is not the account's.
    async fn delete_app(&self, app: &App) -> Result<bool, StoreError>;

    /// The calculated channels of a group, read consistently (ingest must see one the
    /// moment it is created).
    async fn calculated_channels(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<CalculatedChannel>, StoreError>;
    async fn calculated_channel(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<Option<CalculatedChannel>, StoreError>;
    /// Creates a calculated channel unless the group has `limit` already; concurrent
    /// creations cannot both take the last slot. `false` when the limit is reached.
    async fn create_calculated(
        &self,
        channel: &CalculatedChannel,
        limit: u32,
    ) -> Result<bool, StoreError>;
    /// Replaces a calculated channel's name and definition if its stored version is still
    /// `channel.version - 1`. With a new formula, its backfill progress starts over (and
    /// its values, stored under the formula, too); otherwise it is left as stored (it
    /// moves on concurrently).
    async fn update_calculated(
        &self,
        channel: &CalculatedChannel,
        new_formula: bool,
    ) -> Result<Saved, StoreError>;
    /// Records backfill progress if it moves `through` forward (or, with no `through`,
    /// only marks the end) and the formula is still `channel.formula`. `false` when it
    /// did not: progress never goes back, so a redelivered old step cannot rewind it.
    async fn record_backfill(
        &self,
        channel: &CalculatedChannel,
        progress: Backfill,
    ) -> Result<bool, StoreError>;
    /// Deletes a calculated channel; `false` if there was none.
    async fn delete_calculated(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<bool, StoreError>;
}

/// A stored record: the item the records table holds per (instrument, time).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub instrument: InstrumentKey,
    pub t: Millis,
    pub values: Vec<u8>,
}

/// The time series.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Stores each record unless one is stored under its key already (the first write
    /// stays, so a redelivery changes nothing); how many were newly stored.
    async fn put(&self, records: &[StoredRecord]) -> Result<usize, StoreError>;
    /// The records stored under these (instrument, time) keys, read consistently, in no
    /// particular order; keys with no record are left out. The keys have no repeats.
    async fn get_many(
        &self,
        keys: &[(InstrumentKey, Millis)],
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// The newest `limit` records of one instrument, newest first; `limit` is at least 1.
    async fn newest(
        &self,
        instrument: &InstrumentKey,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// Records of one instrument with `from <= t < to`, oldest first, at most `limit`.
    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;
}

/// Background work: steps of recomputing calculated channels over history.
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: &RecomputeJob) -> Result<(), StoreError>;
}

/// Users, sessions, failed-login counts and the audit log.
#[async_trait]
pub trait Identity: Send + Sync {
    async fn user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>, StoreError>;
    async fn users(&self, account: &AccountId) -> Result<Vec<User>, StoreError>;
    /// Creates a user unless the account has `limit` users or the ID is taken (race-safe).
    async fn create_user(&self, user: &User, limit: u32) -> Result<Created, StoreError>;
    /// Writes a user's role and e-mail address, if its role is still `was`. The account
    /// keeps at least one admin: counted in the same transaction, so two admins demoting
    /// each other at once cannot both succeed. A new role ends the user's sessions in the
    /// same transaction.
    async fn update_user(&self, user: &User, was: Role) -> Result<UserChange, StoreError>;
    /// Deletes a user (as read: its role must be unchanged), keeping at least one admin,
    /// and ends their sessions in the same transaction (a user created again with the ID
    /// finds them ended).
    async fn delete_user(&self, user: &User) -> Result<UserChange, StoreError>;
    /// Sets (or with `None` removes) a user's authenticator secret; `false` if no user.
    /// A new, unconfirmed secret never replaces a confirmed one, and a confirmed state is
    /// written only over the same secret pending: `false` otherwise.
    async fn set_totp(
        &self,
        account: &AccountId,
        user: &UserId,
        state: Option<&TotpState>,
    ) -> Result<bool, StoreError>;
    /// Records that a code of time step `step` was used, unless one of that step or a
    /// later one was: `false` means the code is spent.
    async fn use_totp_step(
        &self,
        account: &AccountId,
        user: &UserId,
        step: u64,
    ) -> Result<bool, StoreError>;
    /// Turns two-step verification by mailed code on or off; `false` if no user.
    async fn set_email_two_step(
        &self,
        account: &AccountId,
        user: &UserId,
        on: bool,
    ) -> Result<bool, StoreError>;
    /// Opens a second step under `purpose` until `expires` — with the hash of a mailed
    /// code, or none for an authenticator's — replacing an earlier one for the purpose.
    async fn create_mailed_code(
        &self,
        purpose: &str,
        hash: Option<&str>,
        expires: Millis,
    ) -> Result<(), StoreError>;
    /// Counts one code tried on the second step `purpose`: `false` when it has ended or
    /// `limit` codes were tried already. Counted atomically, so parallel guesses cannot
    /// get past it.
    async fn count_attempt(
        &self,
        purpose: &str,
        limit: u32,
        now: Millis,
    ) -> Result<bool, StoreError>;
    /// Spends the code for `purpose` if its hash is `hash` and it has not expired at
    /// `now`: `true` for the one caller that did.
    async fn take_mailed_code(
        &self,
        purpose: &str,
        hash: &str,
        now: Millis,
    ) -> Result<bool, StoreError>;
    /// Replaces a user's password hash and ends every session of theirs, in one write:
    /// the session generation moves from `seen` (as read before) to `seen + 1`. A login
    /// reads the generation before the password, so no session begun with the old
    /// password can outlive the change.
    async fn set_password(
        &self,
        account: &AccountId,
        user: &UserId,
        hash: &str,
        seen: u64,
    ) -> Result<PasswordSet, StoreError>;
    /// Stores a pending reset under the hash of its secret.
    async fn create_reset(&self, hash: &str, reset: &PasswordReset) -> Result<(), StoreError>;
    async fn reset(&self, hash: &str) -> Result<Option<PasswordReset>, StoreError>;
    /// Consumes a reset: `true` for the one caller that removed it.
    async fn take_reset(&self, hash: &str) -> Result<bool, StoreError>;
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError>;
    /// Records activity on a session.
    async fn touch_session(&self, id: &str, at: Millis) -> Result<(), StoreError>;
    /// Ends a session (logout).
    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;
    /// The user's session generation: only sessions begun in it are good (0 for a user
    /// whose sessions were never ended this way).
    async fn session_generation(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<u64, StoreError>;
    /// Moves one session into `generation`, so that it outlives a password change
    /// (the session that changed the password); a session that is gone stays gone.
    async fn keep_session(&self, id: &str, generation: u64) -> Result<(), StoreError>;
    /// Takes one of the `max` attempts `key` has in the current window (starting a new
    /// window if the last ended), before the attempt is checked: `None` when taken,
    /// `Some(until)` when all are spent. Atomic, so parallel attempts cannot get more.
    async fn claim_attempt(
        &self,
        key: &str,
        max: u32,
        now: Millis,
    ) -> Result<Option<Millis>, StoreError>;
    /// Gives an attempt back (it succeeded): only failures stay counted.
    async fn release_attempt(&self, key: &str, now: Millis) -> Result<(), StoreError>;
    /// Stores a Web API token unless the account has `limit` (race-safe).
    async fn create_api_token(&self, token: &ApiToken, limit: u32) -> Result<Created, StoreError>;
    /// The token whose secret hashes to `hash`.
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError>;
    async fn api_tokens(&self, account: &AccountId) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes a token; `false` if the account has no such token.
    async fn delete_api_token(&self, token: &ApiToken) -> Result<bool, StoreError>;
    /// The account whose Trial was signed up with `email` (normalized).
    async fn account_by_email(&self, email: &str) -> Result<Option<AccountId>, StoreError>;
    /// Stores a pending sign-up under the hash of its secret.
    async fn create_signup(&self, hash: &str, signup: &Signup) -> Result<(), StoreError>;
    async fn signup(&self, hash: &str) -> Result<Option<Signup>, StoreError>;
    /// Consumes a sign-up: `true` for the one caller that removed it.
    async fn take_signup(&self, hash: &str) -> Result<bool, StoreError>;
    /// Creates a Trial account with its one user, and claims the user's e-mail address for
    /// e-mail login, in one transaction: `false` if the address has a Trial already.
    async fn create_trial(&self, account: &Account, owner: &User) -> Result<bool, StoreError>;
    /// The teams of an account.
    async fn teams(&self, account: &AccountId) -> Result<Vec<Team>, StoreError>;
    async fn team(&self, account: &AccountId, id: &TeamId) -> Result<Option<Team>, StoreError>;
    /// Creates a team unless the account has `limit` or the ID is taken (race-safe).
    async fn create_team(&self, team: &Team, limit: u32) -> Result<Created, StoreError>;
    /// Replaces a team's name and members; `false` if there is no such team.
    async fn update_team(&self, team: &Team) -> Result<bool, StoreError>;
    /// Deletes a team; `false` if there was none.
    async fn delete_team(&self, account: &AccountId, id: &TeamId) -> Result<bool, StoreError>;
    async fn audit(&self, account: &AccountId, event: &AuditEvent) -> Result<(), StoreError>;
    /// Counts a failure into the one entry of its kind, user and address in its fold
    /// window (`domain::auth::fold_window`), atomically: a flood costs one item a window.
    async fn audit_failure(
        &self,
        account: &AccountId,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// A page of an account's audit log, newest first. A query that filters reads a
    /// bounded number of entries per page: a page may hold fewer than asked and still
    /// have a `next`.
    async fn audit_log(
        &self,
        account: &AccountId,
        query: &AuditQuery,
    ) -> Result<AuditPage, StoreError>;
}

/// What an app needs to connect to IoT Core: its own certificate and private key. The
/// key is made by IoT Core, handed over once and stored nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCredentials {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub private_key: String,
}

/// Outcome of provisioning an app's thing.
#[derive(Debug, PartialEq, Eq)]
pub enum Provisioned {
    Created(DeviceCredentials),
    /// A thing of that name exists already (left over, or made outside this stack): it
    /// was not touched, and no certificate was made.
    Exists,
}

/// The apps' identities in IoT Core: a thing per app, with a certificate the apps' policy
/// is attached to.
#[async_trait]
pub trait Things: Send + Sync {
    /// Creates the thing (tagged with `registration`) and an active certificate attached
    /// to it and to the policy. On failure it removes what it made, and only that.
    async fn provision(
        &self,
        thing: &IotThing,
        registration: RegistrationId,
    ) -> Result<Provisioned, StoreError>;
    /// Lets a certificate connect, or stops it.
    async fn set_active(&self, certificate_id: &str, active: bool) -> Result<(), StoreError>;
    /// Removes the thing and (if any) its certificate; what is gone already is skipped, so
    /// a retry after a partial failure finishes the job.
    async fn deprovision(
        &self,
        thing: &IotThing,
        certificate_id: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Where apps connect: the MQTT endpoint as `host:port`. It may take a call to IoT
    /// Core the first time, so it can fail (`Unavailable`).
    async fn endpoint(&self) -> Result<String, StoreError>;
}

/// A message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Sends e-mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), StoreError>;
}
