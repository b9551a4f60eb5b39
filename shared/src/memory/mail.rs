//! Mail in memory: it keeps what was sent, for a test to read.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{Mail, Mailer, StoreError};

/// Records every mail sent, in order; nothing is delivered.
#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Mail>>,
}

impl MemoryMailer {
    /// The mails sent so far, oldest first.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<(), StoreError> {
        self.sent
            .lock()
            .expect("no panic while holding the lock")
            .push(mail.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_the_mails_in_order() {
        let mailer = MemoryMailer::default();
        let mail = |to: &str| Mail {
            to: to.into(),
            subject: "code".into(),
            text: "123456".into(),
        };
        mailer.send(&mail("a@example.com")).await.unwrap();
        mailer.send(&mail("b@example.com")).await.unwrap();
        assert_eq!(
            mailer.sent(),
            vec![mail("a@example.com"), mail("b@example.com")]
        );
    }
}
