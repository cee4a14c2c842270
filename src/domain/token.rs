//! What refreshing an integration's rotating tokens came to: decided by the use case in
//! `core`, acted on by the delivery workers too.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// New tokens are stored.
    Rotated,
    /// Another replica refreshed first (or the token is not due): use what is stored.
    AlreadyFresh,
    /// The integration has no refresh token (rotation is off).
    NotRotating,
    /// The refresh token is dead: REVOKED.
    Revoked,
    /// The refresh failed (may recover): ERROR.
    Failed(String),
}
