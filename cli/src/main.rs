//! `trove-host`: a thin shell over the trove-host library.

mod args;
mod commands;
mod grants;
mod listing;
mod new;
mod output;
mod serve;

use anyhow::Result;
use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use trove_host::{printable, Driver, Error, ErrorKind, Host, HostConfig, Limits, Registry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                // serve: access logs (info) by default
                if matches!(cli.command, Command::Serve(_)) {
                    "warn,trove_gateway=info,trove_host::serve=info".into()
                } else {
                    "warn".into()
                }
            }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: io: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::from(1)
        }
    };
    // The command is over: do not wait for work still parked in the
    // runtime's blocking pool (dropping the runtime would, without limit).
    rt.shutdown_timeout(Duration::from_millis(500));
    code
}

/// One line on stderr: `error: KIND: message`. A driver's text can be in
/// the message (a `trove_host::Error`'s is escaped already; other errors
/// may carry it in their context), so the line goes through `printable`.
fn report(e: &anyhow::Error) {
    match e.downcast_ref::<Error>() {
        Some(err) => eprintln!("error: {}: {}", err.kind(), one_line(&err.to_string())),
        None => eprintln!("error: {}", one_line(&format!("{e:#}"))),
    }
}

/// One line, safe for a terminal: line breaks become spaces, every other
/// control or bidi character is escaped.
fn one_line(s: &str) -> String {
    printable(&s.replace(['\n', '\r'], " ")).into_owned()
}

fn host(cli: &Cli) -> Result<Host> {
    let mut registry = Registry::with_builtins();
    if let Some(cfg) = &cli.config {
        registry.load_config(cfg)?;
    }
    for spec in &cli.drivers {
        registry.register_spec(spec)?;
    }
    for spec in &cli.allow {
        registry.allow_spec(spec)?;
    }
    let mut limits = Limits::default();
    if let Some(m) = cli.memory_limit {
        limits.memory_bytes = m;
    }
    if let Some(t) = cli.call_timeout {
        limits.call_timeout = seconds("--call-timeout", t)?;
    }
    if let Some(t) = cli.http_idle_timeout {
        limits.http_idle_timeout = seconds("--http-idle-timeout", t)?;
    }
    if let Some(t) = cli.compile_timeout {
        limits.compile_timeout = seconds("--compile-timeout", t)?;
    }
    if let Some(n) = cli.max_instances {
        limits.pool_size = n.max(1);
    }
    if let Some(n) = cli.table_elements {
        limits.table_elements = n;
    }
    if let Some(n) = cli.instance_limit {
        limits.instances = n;
    }
    if let Some(n) = cli.resource_limit {
        limits.resource_handles = n;
    }
    if let Some(n) = cli.hostcall_limit {
        limits.hostcall_bytes = n;
    }
    let cache_dir = if cli.no_cache {
        None
    } else {
        cli.cache_dir
            .clone()
            .or_else(|| HostConfig::default().cache_dir)
    };
    Ok(Host::new(HostConfig {
        limits,
        cache_dir,
        registry,
        sftp: trove_host::SftpConfig {
            identity: cli.identity.clone(),
            known_hosts: cli.known_hosts.clone(),
        },
        credentials: match (&cli.credentials_env, &cli.credentials_file) {
            (Some(spec), _) => Some(trove_host::Credentials::from_env_spec(spec)?),
            (None, Some(path)) => Some(trove_host::Credentials::from_file(path)?),
            (None, None) => None,
        },
    })?)
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

/// A flag's positive number of seconds as a duration.
fn seconds(flag: &str, secs: f64) -> Result<Duration> {
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{flag} must be a positive number of seconds"),
        )
        .into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn need_dsn(dsn: Option<&str>) -> Result<String> {
    dsn.map(str::to_string).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            "this command needs --dsn SCHEME://… (e.g. --dsn mem:// or --dsn file:///tmp/store)",
        )
        .into()
    })
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let host = host(&cli)?;
    let json = cli.json;
    let dsn_arg = cli.dsn.clone();
    let need_dsn = || need_dsn(dsn_arg.as_deref());
    match cli.command {
        Command::Grants(cmd) => grants::run(cmd)?,
        Command::New {
            name,
            lang,
            kind,
            dir,
        } => new::run(&name, &lang, &kind, dir)?,
        Command::Drivers => {
            let mut rows = Vec::new();
            for (scheme, source) in host.registry().entries() {
                let (caps, declared) = match host.inspect(scheme) {
                    Ok(i) => (
                        match (i.capabilities, i.problem) {
                            (Some(c), _) => c.names().join(","),
                            (None, Some(p)) => format!("unusable: {p}"),
                            (None, None) => String::new(),
                        },
                        i.declared.map(|d| d.kinds()).unwrap_or_default(),
                    ),
                    Err(e) => (format!("unusable: {e}"), Vec::new()),
                };
                let allowed = host.registry().allowed(source, scheme);
                let granted: Vec<&str> = declared
                    .iter()
                    .filter(|k| allowed.allows(**k))
                    .map(|k| k.name())
                    .collect();
                let allowed = match allowed {
                    trove_host::Allowed::AsDeclared => {
                        format!("as declared: {}", or_none(&granted.join(",")))
                    }
                    only => only.to_string(),
                };
                rows.push((scheme.to_string(), source.to_string(), allowed, caps));
            }
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(s, src, a, c)| serde_json::json!({"scheme": s, "source": src, "allowed": a, "capabilities": c}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for (s, src, a, c) in rows {
                    let (s, src, a, c) = (
                        printable(&s),
                        printable(&src),
                        printable(&a),
                        printable(or_none(&c)),
                    );
                    println!("{s:10} {src:32} allowed: {a:24} {c}");
                }
            }
        }
        Command::Inspect { driver } => {
            let i = host.inspect(&driver)?;
            let grants = cli
                .dsn
                .as_deref()
                .map(|d| host.grant_report(&driver, d))
                .transpose()?;
            let declared = match &i.declared {
                Ok(d) => d.to_json(),
                Err(e) => format!("MALFORMED: {e}"),
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "source": i.source, "sha256": i.sha256, "size": i.size,
                        "contract": trove_host::CONTRACT,
                        "driver": i.capabilities.is_some(),
                        "problem": i.problem,
                        "capabilities": i.capabilities.map(|c| c.names()),
                        "exports": i.exports, "imports": i.imports,
                        "declared": declared,
                        "grants": grants.map(|g| g.iter().map(|l| serde_json::json!({
                            "kind": l.kind.name(),
                            "declared": l.declared,
                            "allowed": l.allowed,
                            "granted": l.granted.as_ref().ok().cloned().flatten(),
                            "problem": l.granted.as_ref().err(),
                        })).collect::<Vec<_>>()),
                    })
                );
            } else {
                // Names and messages can come from the component: escaped.
                println!("source:       {}", printable(&i.source));
                println!("sha256:       {}", printable(&i.sha256));
                println!("size:         {} bytes", i.size);
                match (&i.capabilities, &i.problem) {
                    (Some(c), _) => {
                        println!("contract:     {} (core)", trove_host::CONTRACT);
                        let names = c.names();
                        println!(
                            "capabilities: {}",
                            if names.is_empty() {
                                "none".into()
                            } else {
                                printable(&names.join(", ")).into_owned()
                            }
                        );
                    }
                    (None, Some(p)) => println!("contract:     NOT USABLE: {}", one_line(p)),
                    _ => {}
                }
                println!("exports:");
                for e in &i.exports {
                    println!("  {}", printable(e));
                }
                println!("imports:");
                for e in &i.imports {
                    println!("  {}", printable(e));
                }
                println!("declares:     {}", printable(&declared));
                if let Some(lines) = grants {
                    println!(
                        "grants for {}:",
                        printable(&trove_host::redact(cli.dsn.as_deref().unwrap_or_default()))
                    );
                    let scheme = trove_host::Dsn::parse(cli.dsn.as_deref().unwrap_or_default())
                        .map(|d| d.scheme().to_string())
                        .unwrap_or_default();
                    for line in lines {
                        println!("  {}", one_line(&line.to_string()));
                        if line.declared.is_some() && !line.allowed {
                            println!(
                                "    allow it with --allow {}:{}",
                                printable(&scheme),
                                line.kind
                            );
                        }
                    }
                    println!("  network: none (no sockets, no DNS)");
                    println!("  environment, arguments, stdin: none");
                }
            }
        }
        Command::Conformance {
            driver,
            filter,
            list,
            skip,
        } => {
            if list {
                for name in trove_conformance::case_names() {
                    println!("{}", printable(name));
                }
                return Ok(ExitCode::SUCCESS);
            }
            let dsn = need_dsn()?;
            let d = host.open_with(&driver, &dsn).await?;
            println!(
                "# conformance: driver {} {} on {}",
                printable(&d.info().name),
                printable(&d.info().version),
                printable(d.dsn_display())
            );
            let skip = parse_skips(&skip)?;
            let opts = trove_conformance::SuiteOptions {
                filter,
                skip,
                ..Default::default()
            };
            let summary = trove_conformance::run(&d, &opts, |r| {
                use trove_conformance::Outcome;
                let ms = r.elapsed.as_millis();
                let name = printable(r.name);
                match &r.outcome {
                    Outcome::Passed => println!("ok      {name} ({ms} ms)"),
                    Outcome::Failed(m) => println!("FAILED  {name} ({ms} ms): {}", one_line(m)),
                    Outcome::Skipped(m) => println!("skipped {name}: {}", one_line(m)),
                }
            })
            .await;
            println!("{}", summary.closing_line());
            return Ok(if summary.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        Command::Run { driver, op } => {
            let dsn = need_dsn()?;
            let d = host.open_with(&driver, &dsn).await?;
            commands::run_op(&d, op, json).await?;
        }
        Command::Serve(args) => {
            let dsn = need_dsn()?;
            serve::run(&host, &dsn, args).await?;
        }
        Command::Op(op) => {
            let dsn = need_dsn()?;
            let d: Driver = host.open(&dsn).await?;
            commands::run_op(&d, op, json).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--skip CASE=REASON`: the case must exist and the reason must be given.
fn parse_skips(specs: &[String]) -> Result<Vec<(String, String)>> {
    let names = trove_conformance::case_names();
    specs
        .iter()
        .map(|spec| {
            let (case, why) = spec.split_once('=').unwrap_or((spec.as_str(), ""));
            if !names.contains(&case) {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("--skip: no case named {case:?} (see conformance --list)"),
                )
                .into());
            }
            if why.trim().is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("--skip {case}: give the reason as CASE=REASON"),
                )
                .into());
            }
            Ok((case.to_string(), why.to_string()))
        })
        .collect()
}
