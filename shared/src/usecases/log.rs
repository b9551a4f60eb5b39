//! What the use cases log, through `tracing`: only what an answer goes without; what
//! fails a request is the caller's to log.

use std::fmt::{Debug, Display};

/// A read whose failure an answer goes without, after a change already made: "`what`
/// left out of an answer".
pub(super) fn left_out(what: &str, error: &dyn Debug) {
    tracing::warn!(error = ?error, "{what} left out of an answer");
}

/// A stored record of an instrument that does not decode: it costs that instrument its
/// values, not the answer.
pub(super) fn undecodable_record(instrument: &str, error: &dyn Display) {
    tracing::error!(instrument, %error, "stored record does not decode");
}

/// A stored value of a calculated channel that does not decode.
pub(super) fn undecodable_value(calculated: &dyn Display, error: &dyn Display) {
    tracing::error!(%calculated, %error, "stored value does not decode");
}

/// IoT Core did not say where apps connect.
pub(super) fn no_endpoint(error: &dyn Display) {
    tracing::error!(%error, "no IoT data endpoint");
}
