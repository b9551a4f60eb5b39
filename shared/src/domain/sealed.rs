//! Secrets stored encrypted at rest (authenticator secrets): whoever reads the table, a
//! backup or an export of it does not get them. XChaCha20-Poly1305 with a random 192-bit
//! nonce per secret (random nonces that long do not repeat), under a key derived from the
//! token key, so there is still one secret to keep. Pure: the caller brings the nonce.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::token::TokenKey;

/// What a sealed secret starts with: the scheme's version.
pub const SEALED_PREFIX: &str = "v1.";
/// Bytes of a nonce.
pub const NONCE_BYTES: usize = 24;

/// A key that seals and opens secrets of one kind.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// Bound into every seal, so a secret of one kind cannot stand in for another's.
    kind: &'static str,
}

/// A sealed secret that does not open: altered, of another kind, or under another key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sealed secret does not open")]
pub struct Unsealable;

impl Sealer {
    /// The sealer of secrets of `kind`, under a key derived from the token key.
    pub fn new(key: &TokenKey, kind: &'static str) -> Sealer {
        let derived = key.derive(&format!("sealed secrets: {kind}"));
        Sealer {
            cipher: XChaCha20Poly1305::new(&derived.into()),
            kind,
        }
    }

    /// `secret` sealed with `nonce` (which must be random): `v1.` and base64url of the
    /// nonce and the ciphertext.
    pub fn seal(&self, secret: &str, nonce: [u8; NONCE_BYTES]) -> String {
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: self.kind.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("encrypting in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(ciphertext);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The secret in `sealed`.
    pub fn open(&self, sealed: &str) -> Result<String, Unsealable> {
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|rest| URL_SAFE_NO_PAD.decode(rest).ok())
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or(Unsealable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: self.kind.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sealer(byte: u8, kind: &'static str) -> Sealer {
        Sealer::new(&TokenKey::new(vec![byte; 32]).unwrap(), kind)
    }

    proptest! {
        #[test]
        fn a_sealed_secret_opens_to_itself_and_does_not_show_it(
            secret in "[A-Z2-7]{16,64}",
            nonce in any::<[u8; NONCE_BYTES]>(),
        ) {
            let sealed = sealer(1, "totp").seal(&secret, nonce);
            prop_assert!(!sealed.contains(&secret));
            prop_assert_eq!(sealer(1, "totp").open(&sealed), Ok(secret));
        }
    }

    #[test]
    fn the_same_secret_sealed_twice_looks_different() {
        let sealer = sealer(1, "totp");
        assert_ne!(
            sealer.seal("JBSWY3DPEHPK3PXP", [1; NONCE_BYTES]),
            sealer.seal("JBSWY3DPEHPK3PXP", [2; NONCE_BYTES])
        );
    }

    #[test]
    fn an_altered_seal_another_key_or_another_kind_does_not_open() {
        let sealed = sealer(1, "totp").seal("JBSWY3DPEHPK3PXP", [7; NONCE_BYTES]);
        assert_eq!(sealer(2, "totp").open(&sealed), Err(Unsealable));
        assert_eq!(sealer(1, "other").open(&sealed), Err(Unsealable));
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(sealer(1, "totp").open(&altered), Err(Unsealable));
        for garbage in ["", "v1.", "v1.!!", "JBSWY3DPEHPK3PXP"] {
            assert_eq!(
                sealer(1, "totp").open(garbage),
                Err(Unsealable),
                "{garbage}"
            );
        }
    }
}
