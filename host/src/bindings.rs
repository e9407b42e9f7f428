//! Bindings generated from the contract (`wit/`), for the `host` world: every
//! import the host can provide and every export it looks for. Optional
//! exports are found one interface at a time (see `runtime`). The bindings
//! name no host type: each import module maps its own resources.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "trove:driver/host",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
    },
    require_store_data_send: true,
});

pub use exports::trove::driver::{core, multipart, presign, put_bytes, stream_put, versioning};
pub use trove::driver::types as wit;
