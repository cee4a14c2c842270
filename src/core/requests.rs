//! AIP-155 request ids as the use cases see them: a key naming the caller, the RPC and a
//! digest of the request, and the answer to give when the id was used for another request.

use sha2::{Digest, Sha256};

use super::CoreError;
use crate::{
    domain::{Caller, RequestId},
    store::{Idempotent, RequestKey},
};

/// The store's key for `request_id` of `method`; `parts` are what makes two requests the
/// same request.
pub(super) fn request_key(
    caller: &Caller,
    method: &'static str,
    request_id: &RequestId,
    parts: &[&[u8]],
) -> RequestKey {
    let mut digest = Sha256::new();
    for part in parts {
        // Length-prefixed, so no two different lists of parts run together the same way.
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    RequestKey {
        scope: caller.team().map(|t| t.to_string()).unwrap_or_default(),
        method,
        request_id: request_id.as_str().to_owned(),
        fingerprint: digest.finalize().to_vec(),
    }
}

/// What the work (or, for a repeat, the first call's work) came to.
pub(super) fn settled<T>(
    outcome: Idempotent<T>,
    request_id: Option<&RequestId>,
) -> Result<T, CoreError> {
    match outcome {
        Idempotent::Done(made) | Idempotent::Repeat(made) => Ok(made),
        Idempotent::Reused => Err(CoreError::RequestIdReused {
            request_id: request_id
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
        }),
    }
}
