//! trove-host: runs storage drivers as sandboxed WebAssembly components.

pub mod error;
pub mod types;
mod driver;

pub use driver::{BoxReader, Driver, ObjectReader};
pub use error::{Error, ErrorKind, Result};
pub use types::*;
