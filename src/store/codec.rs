//! How domain types travel to and from Postgres, said once. Stored enums are `text`
//! columns spelled by the enum's own `as_str`/`parse` (`domain/newtype.rs`); ids bind as
//! their text or UUID. Values read back into string ids are trusted in the row modules
//! (`from_trusted`), where the row becomes a domain value.

use sqlx::{
    Decode, Encode, Postgres, Type,
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef},
};

use crate::domain::{
    ChannelId, ChannelState, Condition, DeliveryId, DeliveryKind, DeliveryState, IntegrationId,
    InternalMessageId, MessageType, TeamId, WorkspaceId,
};

/// Deliveries still to go out, for `state IN {PENDING_STATES}`. Spelled out rather than
/// bound: the planner uses the partial index `deliveries_active_by_lane` only for a
/// predicate it can match to the index's own, at plan time.
pub(super) const PENDING_STATES: &str = "('queued', 'retrying')";

/// Deliveries that are done, for `state IN {FINAL_STATES}`; spelled out so the planner
/// matches the partial index `deliveries_finished`.
pub(super) const FINAL_STATES: &str = "('sent', 'failed', 'cancelled')";

/// Posts and replies (the kinds a caller's message id names), for `kind IN
/// {MESSAGE_KINDS}`. Spelled out: `ON CONFLICT` finds the partial unique index
/// `deliveries_idempotency` by this predicate.
pub(super) const MESSAGE_KINDS: &str = "('post', 'reply')";

/// The type information of a value that travels as `$inner`.
macro_rules! typed_as {
    ($inner:ty => $($ty:ty),+) => {$(
        impl Type<Postgres> for $ty {
            fn type_info() -> PgTypeInfo {
                <$inner as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <$inner as Type<Postgres>>::compatible(ty)
            }
        }

        impl PgHasArrayType for $ty {
            fn array_type_info() -> PgTypeInfo {
                <$inner as PgHasArrayType>::array_type_info()
            }
        }
    )+};
}

/// Binds as the text `as_str` gives.
macro_rules! encode_as_text {
    ($($ty:ty),+) => {$(
        impl Encode<'_, Postgres> for $ty {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<'_, Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }
    )+};
}

/// Stored enums: text both ways, unknown spellings refused on the way back.
macro_rules! text_enum_codec {
    ($($ty:ty),+) => {$(
        typed_as!(&str => $ty);
        encode_as_text!($ty);

        impl<'r> Decode<'r, Postgres> for $ty {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let raw = <&str as Decode<'r, Postgres>>::decode(value)?;
                <$ty>::parse(raw)
                    .ok_or_else(|| format!("unknown {} {raw:?}", stringify!($ty)).into())
            }
        }
    )+};
}

/// UUID ids: a UUID both ways (any UUID is a well-formed id).
macro_rules! uuid_codec {
    ($($ty:ty),+) => {$(
        typed_as!(uuid::Uuid => $ty);

        impl Encode<'_, Postgres> for $ty {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <uuid::Uuid as Encode<'_, Postgres>>::encode_by_ref(&self.as_uuid(), buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $ty {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                <uuid::Uuid as Decode<'r, Postgres>>::decode(value).map(Self::from_uuid)
            }
        }
    )+};
}

text_enum_codec!(DeliveryKind, DeliveryState, ChannelState, Condition);
typed_as!(&str => TeamId, WorkspaceId, ChannelId, InternalMessageId, MessageType);
encode_as_text!(
    TeamId,
    WorkspaceId,
    ChannelId,
    InternalMessageId,
    MessageType
);
uuid_codec!(IntegrationId, DeliveryId);

#[cfg(test)]
mod tests {
    use super::*;

    fn sql_list(spellings: &[&str]) -> String {
        let quoted: Vec<String> = spellings.iter().map(|s| format!("'{s}'")).collect();
        format!("({})", quoted.join(", "))
    }

    #[test]
    fn the_spelled_out_sets_match_the_enums() {
        let pending: Vec<&str> = DeliveryState::ALL
            .iter()
            .filter(|s| !s.is_final())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(PENDING_STATES, sql_list(&pending));
        let done: Vec<&str> = DeliveryState::ALL
            .iter()
            .filter(|s| s.is_final())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(FINAL_STATES, sql_list(&done));
        let messages = [DeliveryKind::Post.as_str(), DeliveryKind::Reply.as_str()];
        assert_eq!(MESSAGE_KINDS, sql_list(&messages));
    }
}
