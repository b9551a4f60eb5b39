//! The notify queue and the webhooks in memory: what was enqueued and posted, for a
//! test to look at; a webhook can be made to fail.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::notify::{WebhookKind, WebhookUrl};
use crate::ports::{NotifyJob, NotifyQueue, StoreError, Webhooks};

#[derive(Default)]
pub struct MemoryNotifyQueue {
    jobs: Mutex<Vec<NotifyJob>>,
}

impl MemoryNotifyQueue {
    /// Takes the jobs enqueued so far, oldest first, leaving none.
    pub fn take(&self) -> Vec<NotifyJob> {
        std::mem::take(&mut *self.jobs.lock().expect("no panic while holding the lock"))
    }
}

#[async_trait]
impl NotifyQueue for MemoryNotifyQueue {
    async fn enqueue(&self, job: &NotifyJob) -> Result<(), StoreError> {
        self.jobs
            .lock()
            .expect("no panic while holding the lock")
            .push(job.clone());
        Ok(())
    }
}

/// Every post, as (kind, text); posts of a kind in `failing` fail.
#[derive(Default)]
pub struct MemoryWebhooks {
    posts: Mutex<Vec<(WebhookKind, String)>>,
    failing: Mutex<Vec<WebhookKind>>,
}

impl MemoryWebhooks {
    pub fn posts(&self) -> Vec<(WebhookKind, String)> {
        self.posts
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }

    /// Makes posts of `kind` fail (or succeed again).
    pub fn set_failing(&self, kind: WebhookKind, failing: bool) {
        let mut kinds = self
            .failing
            .lock()
            .expect("no panic while holding the lock");
        kinds.retain(|k| *k != kind);
        if failing {
            kinds.push(kind);
        }
    }
}

#[async_trait]
impl Webhooks for MemoryWebhooks {
    async fn post(&self, kind: WebhookKind, _url: &WebhookUrl, text: &str) -> Result<(), String> {
        if self
            .failing
            .lock()
            .expect("no panic while holding the lock")
            .contains(&kind)
        {
            return Err(format!("{} webhook answered 500", kind.as_str()));
        }
        self.posts
            .lock()
            .expect("no panic while holding the lock")
            .push((kind, text.to_owned()));
        Ok(())
    }
}
