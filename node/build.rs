//! Generates the gRPC API's Rust code from `proto/ramjet/v1/node.proto` with protox, a
//! protobuf compiler written in Rust (no `protoc` needed), and writes the file descriptor set
//! that server reflection serves.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(["ramjet/v1/node.proto"])?;
    std::fs::write(
        out.join("ramjet_v1_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(compiler.file_descriptor_set())?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
