//! trove-gateway: an S3-compatible HTTP gateway in front of any trove-host
//! driver, built on the `s3s` crate. It uses only trove-host's public API
//! (`Driver`), so every driver a host can open can be served.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let driver = trove_host::Driver::open("mem://").await?;
//! let gateway = trove_gateway::Gateway::new(driver, None)?;
//! let service = gateway.service(Some(trove_gateway::Credentials::new("AK", "SK")));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
//! trove_gateway::serve(listener, service, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

mod body;
mod error;
mod idle;
mod listing;
mod multipart;
mod precheck;
mod rules;
mod s3;
mod server;
mod spool;

pub use error::{code_for, Subject};
pub use s3::{Gateway, NATIVE_PART_LIMIT};
pub use s3s::service::S3Service;
pub use server::{serve, serve_with, Credentials, ServeLimits};
