//! The shapes the domain's ids, names and stored enums share, written once. Each type
//! still says its own rules: a string newtype gets its `parse` beside the macro call, an
//! enum its one spelling per variant in the call itself.

/// A string newtype: private field, `as_str`, `Display`, and `from_trusted` for values read
/// back from our own database (parsed on the way in, so not parsed again).
macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// For values read back from our own database, which were parsed on the way in.
            #[allow(dead_code)]
            pub(crate) fn from_trusted(raw: String) -> Self {
                Self(raw)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A UUID newtype: fresh ids with `new`, and `parse` that accepts only the canonical
/// hyphenated form (the one we print), so one id has one spelling.
macro_rules! uuid_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }

            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::domain::FieldViolation> {
                $crate::domain::ids::required(field, raw)?;
                match uuid::Uuid::try_parse(raw) {
                    Ok(id) if raw.len() == 36 => Ok(Self(id)),
                    _ => Err($crate::domain::FieldViolation::new(field, "must be a UUID")),
                }
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }

            pub(crate) fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }
    };
}

/// An enum stored as text: each variant's one spelling, `as_str`, `parse` and `Display` from
/// it, and
/// `ALL` (for tests that every spelling round-trips). The store's codec (`store/codec.rs`)
/// maps it to SQL through these two functions only.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            #[allow(dead_code)]
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use {string_newtype, text_enum, uuid_newtype};
