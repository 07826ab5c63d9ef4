#!/bin/sh
# Rebuilds actors/echo-rs/echo_rs.wasm (the Rust echo actor, committed unsigned) from its source.
# Needs Debian bookworm's Rust and crates, all offline (not run by CI, which signs the committed file):
#   apt-get install -y rustc cargo libstd-rust-dev-wasm32 librust-serde-dev librust-serde-derive-dev \
#     librust-rmp-serde-dev librust-serde-json-dev librust-serde-bytes-dev
# Debian's rustc (1.63) is called explicitly: a rustup toolchain earlier on PATH may lack wasm32.
# Then `npm run build:actors` signs it into actors/build/echo-rs_s.wasm.
set -eu
cd "$(dirname "$0")/../actors/echo-rs"
RUSTC=/usr/bin/rustc /usr/bin/cargo build --offline --release --target wasm32-unknown-unknown
cp target/wasm32-unknown-unknown/release/echo_rs.wasm echo_rs.wasm
echo "build-echo-rs: actors/echo-rs/echo_rs.wasm $(wc -c < echo_rs.wasm) B"
