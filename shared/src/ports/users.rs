//! The [`Users`] port.

use async_trait::async_trait;

use super::{Created, StoreError};
use crate::domain::auth::{Role, TotpState, User};
use crate::domain::ids::{AccountId, UserId};

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

/// The users of an account, with their passwords, second steps and session generation.
#[async_trait]
pub trait Users: Send + Sync {
    async fn user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>, StoreError>;
    async fn users(&self, account: &AccountId) -> Result<Vec<User>, StoreError>;
    /// Creates a user unless the account has `limit` users or the ID is taken (race-safe),
    /// with no second step whatever `user` says (users enroll their own).
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
    /// The user's session generation: only sessions begun in it are good (0 for a user
    /// whose sessions were never ended this way).
    async fn session_generation(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<u64, StoreError>;
}
