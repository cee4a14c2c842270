//! Compiles `proto/` with protox (pure Rust, so no system `protoc`) into tonic code, and
//! writes the descriptor set that server reflection serves.

use std::{env, path::PathBuf};

const PROTO_ROOT: &str = "proto";
const SERVICES: &[&str] = &[
    "switchboard/v1/resources.proto",
    "switchboard/v1/errors.proto",
    "switchboard/v1/integration_service.proto",
    "switchboard/v1/channel_service.proto",
    "switchboard/v1/messaging_service.proto",
    "switchboard/v1/monitoring_service.proto",
    "switchboard/v1/event_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");

    let mut compiler = protox::Compiler::new([PROTO_ROOT])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(SERVICES)?;

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("switchboard_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .include_file("switchboard_protos.rs")
        // tonic's codec, except that an undecodable request is INVALID_ARGUMENT.
        .codec_path("crate::api::codec::ProtoCodec")
        // google.rpc.Status and friends come from tonic-types, as the server uses them.
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
