//! Code generated from `proto/` by `build.rs`.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/switchboard_protos.rs"));

pub use self::switchboard::v1;

/// Every file of the public API with its imports, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/switchboard_descriptor.bin"));

#[cfg(test)]
mod field_behavior;
