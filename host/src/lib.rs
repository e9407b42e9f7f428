//! trove-host: runs storage drivers as sandboxed WebAssembly components.
//!
//! ```no_run
//! # async fn demo() -> trove_host::Result<()> {
//! use trove_host::{Driver, GetOptions, PutOptions};
//! let d = Driver::open("mem://").await?;
//! d.create_bucket("photos").await?;
//! d.put_bytes("photos", "cat.jpg", b"meow".to_vec(), PutOptions::default()).await?;
//! let (_info, bytes) = d.get_bytes("photos", "cat.jpg", GetOptions::default()).await?;
//! assert_eq!(bytes, b"meow");
//! # Ok(()) }
//! ```

mod bindings;
mod body;
mod builtin;
mod cache;
mod compile;
mod convert;
mod credentials;
pub mod cursor;
mod declare;
mod driver;
pub mod dsn;
pub mod error;
mod filestream;
mod grants;
mod host;
mod http;
mod http_policy;
mod limiter;
mod limits;
mod log;
mod pool;
mod progress;
mod registry;
mod retry;
mod runtime;
mod sftp;
mod sftp_session;
mod splice;
mod state;
mod symlinks;
mod template;
mod text;
pub mod types;
mod upload;

pub use body::{to_error, ObjectReader};
pub use builtin::component as builtin_component;
#[doc(hidden)]
pub use builtin::GUEST_DIR;
pub use credentials::Credentials;
pub use declare::{write as write_declaration, Declaration, GrantKind, SECTION as GRANTS_SECTION};
pub use driver::{BoxReader, Driver};
pub use dsn::{redact, Dsn, DsnError};
pub use error::{Error, ErrorKind, Result};
pub use grants::{Allowed, GrantLine, Grants};
pub use host::{Host, HostConfig, Inspection};
pub use http_policy::{HttpGrant, Origin};
pub use limits::Limits;
pub use registry::{DriverSource, Registry};
pub use retry::{MAX_RETRIES, RETRY_WINDOW};
pub use runtime::CONTRACT;
pub use sftp_session::{SftpConfig, SftpGrant};
pub use text::printable;
pub use types::*;
