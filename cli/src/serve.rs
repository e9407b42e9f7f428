//! `trove-host serve`: the opened driver behind an S3-compatible HTTP gateway.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use trove_gateway::{Credentials, Gateway, ServeLimits};
use trove_host::Host;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
    pub listen: String,
    /// The access key requests must be signed with (SigV4).
    #[arg(long, value_name = "AK")]
    pub access_key: Option<String>,
    /// The secret key (prefer --secret-key-env: a command line is visible to other users).
    #[arg(long, value_name = "SK")]
    pub secret_key: Option<String>,
    /// Read the access key from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "access_key")]
    pub access_key_env: Option<String>,
    /// Read the secret key from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "secret_key")]
    pub secret_key_env: Option<String>,
    /// Where multipart parts are spooled for drivers without the multipart
    /// capability (a fresh folder inside it, removed on exit; default: the temp dir).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Connections served at once; more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a request head may take to arrive (also how long an idle
    /// kept-alive connection stays open).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub header_timeout: f64,
    /// Seconds a request body may send nothing before the request fails
    /// with RequestTimeout (nothing is stored).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub body_idle_timeout: f64,
}

fn secs(flag: &str, v: f64) -> Result<std::time::Duration> {
    if !(v.is_finite() && v > 0.0 && v < 1e9) {
        bail!("invalid-argument: {flag} must be a positive number of seconds, not {v}");
    }
    Ok(std::time::Duration::from_secs_f64(v))
}

fn key(value: Option<String>, env: Option<String>, what: &str) -> Result<String> {
    match (value, env) {
        (Some(v), _) if !v.is_empty() => Ok(v),
        (_, Some(var)) => match std::env::var(&var) {
            Ok(v) if !v.is_empty() => Ok(v),
            _ => bail!(
                "invalid-argument: the environment variable {var} (for the {what}) is not set"
            ),
        },
        _ => bail!("invalid-argument: serve needs --{what} or --{what}-env VAR"),
    }
}

/// SIGINT (Ctrl-C) and SIGTERM, listened for from the moment this is made:
/// made before the "serving" line, so that a signal sent as soon as a script
/// sees that line is handled (not the default action, which kills the
/// process on the spot).
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let err = |e| anyhow::anyhow!("io: cannot listen for signals: {e}");
            Ok(Signals {
                term: signal(SignalKind::terminate()).map_err(err)?,
                int: signal(SignalKind::interrupt()).map_err(err)?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves on the next SIGINT or SIGTERM.
    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub async fn run(host: &Host, dsn: &str, a: ServeArgs) -> Result<()> {
    let creds = Credentials::new(
        key(a.access_key, a.access_key_env, "access-key")?,
        key(a.secret_key, a.secret_key_env, "secret-key")?,
    );
    let limits = ServeLimits {
        max_connections: a.max_connections.max(1),
        header_timeout: secs("--header-timeout", a.header_timeout)?,
        body_idle_timeout: secs("--body-idle-timeout", a.body_idle_timeout)?,
    };
    let driver = host.open(dsn).await?;
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("io: cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    let info = driver.info().clone();
    let display = driver.dsn_display().to_string();
    let gateway = Gateway::new(driver, a.spool_dir.as_deref())
        .context("io: cannot create the spool folder")?;
    let multipart = if gateway.driver().capabilities().multipart {
        "driver multipart".to_string()
    } else {
        format!("spooled in {}", gateway.spool_dir().display())
    };
    // The first SIGTERM or Ctrl-C stops accepting and gives in-flight
    // requests a few seconds to finish; a second one stops at once.
    let mut signals = Signals::new()?;
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let (second_tx, second_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        signals.recv().await;
        tracing::info!("shutdown signal received (send another to stop at once)");
        let _ = first_tx.send(());
        signals.recv().await;
        let _ = second_tx.send(());
    });
    // The one line scripts wait for; the rest goes through tracing.
    println!(
        "serving {} {} on {} at http://{addr} (multipart: {})",
        trove_host::printable(&info.name),
        trove_host::printable(&info.version),
        trove_host::printable(&display),
        trove_host::printable(&multipart)
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let first = async move {
        let _ = first_rx.await;
    };
    tokio::select! {
        r = trove_gateway::serve_with(listener, gateway.service(Some(creds)), limits, first) => r?,
        Ok(()) = second_rx => {
            tracing::warn!("second signal: stopping without waiting for in-flight requests");
        }
    }
    println!("stopped");
    Ok(())
}
