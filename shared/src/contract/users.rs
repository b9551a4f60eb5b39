//! The contract of [`Users`].

use super::fixtures::{account, owner};
use crate::domain::auth::{Role, TotpState, User};
use crate::domain::ids::{AccountId, UserId};
use crate::ports::{Accounts, Created, PasswordSet, UserChange, Users};

fn user(account: &AccountId, id: &str, role: Role) -> User {
    User {
        account: account.clone(),
        id: UserId::parse(id).unwrap(),
        role,
        password_hash: format!("$argon2id${id}"),
        totp: None,
        email: Some(format!("{id}@example.com")),
        email_two_step: false,
    }
}

fn totp(secret: &str, confirmed: bool) -> TotpState {
    TotpState {
        secret: secret.into(),
        confirmed,
        last_step: 0,
    }
}

/// Holds `store` to the contract of [`Users`] on accounts `{prefix}-…` (see
/// [`super::accounts`]): limits, the last admin, session generations, second steps.
pub async fn users(store: &(impl Accounts + Users), prefix: &str) {
    // A Trial's owner is its one user and admin.
    let acme = account(store, prefix, "users").await.id;
    let owner = owner(&acme);
    assert_eq!(
        store.user(&acme, &owner.id).await.unwrap(),
        Some(owner.clone())
    );

    // Counted per account: the last slot, then the limit; a taken ID is `Exists`.
    let ann = user(&acme, "ann", Role::Admin);
    let bob = user(&acme, "bob", Role::Member);
    assert_eq!(store.create_user(&ann, 3).await.unwrap(), Created::Created);
    assert_eq!(store.create_user(&ann, 3).await.unwrap(), Created::Exists);
    assert_eq!(
        store.create_user(&bob, 3).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    let cy = user(&acme, "cy", Role::Viewer);
    assert_eq!(
        store.create_user(&cy, 3).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(store.user(&acme, &cy.id).await.unwrap(), None);
    assert_eq!(store.user(&acme, &bob.id).await.unwrap(), Some(bob.clone()));
    let ids: Vec<_> = store
        .users(&acme)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(
        ids,
        vec![ann.id.clone(), bob.id.clone(), owner.id.clone()],
        "by ID"
    );

    // Changes are checked on the role read; a new role ends the user's sessions.
    assert_eq!(store.session_generation(&acme, &bob.id).await.unwrap(), 0);
    let mailed = User {
        email: Some("bob@elsewhere.example".into()),
        ..bob.clone()
    };
    assert_eq!(
        store.update_user(&mailed, Role::Member).await.unwrap(),
        UserChange::Done
    );
    assert_eq!(
        store.session_generation(&acme, &bob.id).await.unwrap(),
        0,
        "same role"
    );
    let viewer = User {
        role: Role::Viewer,
        ..mailed.clone()
    };
    assert_eq!(
        store.update_user(&viewer, Role::Member).await.unwrap(),
        UserChange::Done
    );
    assert_eq!(
        store.user(&acme, &bob.id).await.unwrap(),
        Some(viewer.clone())
    );
    assert_eq!(
        store.session_generation(&acme, &bob.id).await.unwrap(),
        1,
        "a new role"
    );
    assert_eq!(
        store.update_user(&bob, Role::Member).await.unwrap(),
        UserChange::Missing,
        "read before the change"
    );
    assert_eq!(
        store.update_user(&cy, Role::Viewer).await.unwrap(),
        UserChange::Missing
    );
    assert_eq!(store.user(&acme, &cy.id).await.unwrap(), None);

    // The account keeps an admin.
    let demoted_owner = User {
        role: Role::Member,
        ..owner.clone()
    };
    assert_eq!(
        store
            .update_user(&demoted_owner, Role::Admin)
            .await
            .unwrap(),
        UserChange::Done
    );
    let demoted_ann = User {
        role: Role::Member,
        ..ann.clone()
    };
    assert_eq!(
        store.update_user(&demoted_ann, Role::Admin).await.unwrap(),
        UserChange::LastAdmin
    );
    assert_eq!(
        store.delete_user(&ann).await.unwrap(),
        UserChange::LastAdmin
    );
    assert_eq!(
        store.user(&acme, &ann.id).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert_eq!(
        store.update_user(&owner, Role::Member).await.unwrap(),
        UserChange::Done,
        "promoted"
    );
    assert_eq!(
        store.update_user(&demoted_ann, Role::Admin).await.unwrap(),
        UserChange::Done
    );
    assert_eq!(
        store.delete_user(&owner).await.unwrap(),
        UserChange::LastAdmin
    );

    // A delete is checked on the role read, frees a slot and ends the user's sessions,
    // also for a user created again under the ID.
    assert_eq!(
        store.delete_user(&bob).await.unwrap(),
        UserChange::Missing,
        "a stale role"
    );
    assert_eq!(store.delete_user(&viewer).await.unwrap(), UserChange::Done);
    assert_eq!(store.user(&acme, &bob.id).await.unwrap(), None);
    assert_eq!(
        store.delete_user(&viewer).await.unwrap(),
        UserChange::Missing
    );
    assert_eq!(store.session_generation(&acme, &bob.id).await.unwrap(), 2);
    assert_eq!(
        store.create_user(&bob, 3).await.unwrap(),
        Created::Created,
        "a freed slot"
    );
    assert_eq!(
        store.session_generation(&acme, &bob.id).await.unwrap(),
        2,
        "still ended"
    );
    assert_eq!(
        store.create_user(&cy, 3).await.unwrap(),
        Created::LimitReached
    );

    // A password change moves the generation on from the one read, once.
    let seen = store.session_generation(&acme, &ann.id).await.unwrap();
    assert_eq!(seen, 1, "ann's role changed once");
    assert_eq!(
        store
            .set_password(&acme, &ann.id, "new-hash", 0)
            .await
            .unwrap(),
        PasswordSet::Raced
    );
    assert_eq!(
        store
            .set_password(&acme, &ann.id, "new-hash", seen)
            .await
            .unwrap(),
        PasswordSet::Set { generation: 2 }
    );
    assert_eq!(
        store
            .set_password(&acme, &ann.id, "newer-hash", seen)
            .await
            .unwrap(),
        PasswordSet::Raced,
        "the generation moved since it was read"
    );
    assert_eq!(store.session_generation(&acme, &ann.id).await.unwrap(), 2);
    assert_eq!(
        store
            .user(&acme, &ann.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    let never = UserId::parse("never").unwrap();
    assert_eq!(
        store.set_password(&acme, &never, "x", 0).await.unwrap(),
        PasswordSet::NoUser
    );
    assert_eq!(store.session_generation(&acme, &never).await.unwrap(), 0);
    let fresh = user(&acme, "fresh", Role::Member);
    assert_eq!(
        store.create_user(&fresh, 10).await.unwrap(),
        Created::Created
    );
    assert_eq!(
        store.set_password(&acme, &fresh.id, "h", 0).await.unwrap(),
        PasswordSet::Set { generation: 1 },
        "from no generation yet"
    );

    // Authenticator: never over a confirmed secret; confirmed only as pending.
    assert!(store
        .set_totp(&acme, &ann.id, Some(&totp("S1", false)))
        .await
        .unwrap());
    assert!(
        store
            .set_totp(&acme, &ann.id, Some(&totp("S2", false)))
            .await
            .unwrap(),
        "re-enrolled"
    );
    assert!(
        !store
            .set_totp(&acme, &ann.id, Some(&totp("S1", true)))
            .await
            .unwrap(),
        "not pending"
    );
    assert!(store
        .set_totp(&acme, &ann.id, Some(&totp("S2", true)))
        .await
        .unwrap());
    assert!(!store
        .set_totp(&acme, &ann.id, Some(&totp("S3", false)))
        .await
        .unwrap());
    assert!(
        !store
            .set_totp(&acme, &ann.id, Some(&totp("S2", true)))
            .await
            .unwrap(),
        "confirmed once"
    );
    assert_eq!(
        store.user(&acme, &ann.id).await.unwrap().unwrap().totp,
        Some(totp("S2", true))
    );
    // A code of a step, or of an earlier one, is used once.
    assert!(store.use_totp_step(&acme, &ann.id, 5).await.unwrap());
    assert!(!store.use_totp_step(&acme, &ann.id, 5).await.unwrap());
    assert!(!store.use_totp_step(&acme, &ann.id, 4).await.unwrap());
    assert!(store.use_totp_step(&acme, &ann.id, 6).await.unwrap());
    assert_eq!(
        store
            .user(&acme, &ann.id)
            .await
            .unwrap()
            .unwrap()
            .totp
            .unwrap()
            .last_step,
        6
    );
    assert!(
        store.set_totp(&acme, &ann.id, None).await.unwrap(),
        "removed"
    );
    assert_eq!(
        store.user(&acme, &ann.id).await.unwrap().unwrap().totp,
        None
    );
    assert!(
        !store.use_totp_step(&acme, &ann.id, 7).await.unwrap(),
        "no secret"
    );
    assert!(!store
        .set_totp(&acme, &never, Some(&totp("S", false)))
        .await
        .unwrap());
    assert!(!store.set_totp(&acme, &never, None).await.unwrap());
    assert!(!store.use_totp_step(&acme, &never, 1).await.unwrap());

    // Mailed codes as the second step.
    assert!(store
        .set_email_two_step(&acme, &ann.id, true)
        .await
        .unwrap());
    assert!(
        store
            .user(&acme, &ann.id)
            .await
            .unwrap()
            .unwrap()
            .email_two_step
    );
    assert!(store
        .set_email_two_step(&acme, &ann.id, false)
        .await
        .unwrap());
    assert!(
        !store
            .user(&acme, &ann.id)
            .await
            .unwrap()
            .unwrap()
            .email_two_step
    );
    assert!(!store.set_email_two_step(&acme, &never, true).await.unwrap());
    assert_eq!(store.user(&acme, &never).await.unwrap(), None);
}
