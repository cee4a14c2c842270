//! Generates the tonic client stubs from the repository's protos (the same files the
//! service compiles), with protox: no system `protoc`, and nothing generated to go stale.

const PROTO_ROOT: &str = "../../proto";
const PACKAGE_DIR: &str = "switchboard/v1";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    // Every file of the package, so a new one needs no change here.
    let mut files = Vec::new();
    for entry in std::fs::read_dir(format!("{PROTO_ROOT}/{PACKAGE_DIR}"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".proto") {
            files.push(format!("{PACKAGE_DIR}/{name}"));
        }
    }
    files.sort();
    let mut compiler = protox::Compiler::new([PROTO_ROOT])?;
    compiler.include_imports(true);
    compiler.open_files(files)?;
    // The descriptors themselves, for reading events as proto JSON (webhook bodies).
    let out_dir = std::env::var("OUT_DIR")?;
    std::fs::write(
        format!("{out_dir}/switchboard.v1.binpb"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .include_file("switchboard_protos.rs")
        // google.rpc.Status and the error details come from tonic-types.
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
