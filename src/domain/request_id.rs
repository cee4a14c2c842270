//! AIP-155 request ids: the caller's name for one attempt at a mutation, so that a retry
//! of it is recognised.

use super::{FieldViolation, ids::opaque_text, newtype::string_newtype};

const REQUEST_ID_MAX_CHARS: usize = 128;

string_newtype! {
    /// 1-128 printable characters; a UUID is what callers are asked to send.
    RequestId
}

impl RequestId {
    /// An empty value means none was given (as JSON clients send unset strings).
    pub fn parse(field: &str, raw: Option<&str>) -> Result<Option<Self>, FieldViolation> {
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        opaque_text(field, raw, REQUEST_ID_MAX_CHARS)?;
        Ok(Some(Self(raw.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_optional_and_bounded() {
        assert_eq!(RequestId::parse("request_id", None), Ok(None));
        assert_eq!(RequestId::parse("request_id", Some("")), Ok(None));
        let id = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            RequestId::parse("request_id", Some(&id))
                .unwrap()
                .unwrap()
                .as_str(),
            id
        );
        assert!(RequestId::parse("request_id", Some(&"x".repeat(128))).is_ok());
        for bad in ["x".repeat(129), "a\u{0}b".to_owned(), " a".to_owned()] {
            let err = RequestId::parse("request_id", Some(&bad)).unwrap_err();
            assert_eq!(err.field, "request_id");
        }
    }
}
