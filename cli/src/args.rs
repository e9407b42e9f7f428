//! The command line, as clap types.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "trove-host",
    version,
    about = "Run storage drivers as sandboxed WebAssembly components",
    after_help = "DRIVER is a .wasm path or a registered scheme (see `trove-host drivers`).\n\
                  Examples:\n  trove-host mb photos --dsn file:///tmp/store\n  \
                  trove-host put photos cat.jpg ./cat.jpg --dsn file:///tmp/store\n  \
                  trove-host conformance mem --dsn mem://"
)]
pub struct Cli {
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,

    /// The DSN to open (scheme://…); its scheme picks the driver unless one is given.
    #[arg(long, global = true, value_name = "DSN")]
    pub dsn: Option<String>,

    /// Register a driver: SCHEME=PATH.wasm (repeatable).
    #[arg(long = "driver", global = true, value_name = "SCHEME=PATH")]
    pub drivers: Vec<String>,

    /// Allow the driver serving SCHEME the grants of KIND it declares
    /// (http, dir or sftp; repeatable), e.g. --allow dav:http. Built-in
    /// drivers come allowed what they declare; any other .wasm gets nothing
    /// it is not allowed.
    #[arg(long = "allow", global = true, value_name = "SCHEME:KIND")]
    pub allow: Vec<String>,

    /// A TOML file mapping schemes to .wasm paths ([drivers] mine = "mine.wasm",
    /// or [drivers.dav] path = "dav.wasm", allow = ["http"]).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Linear memory per driver instance (e.g. 256MiB, 1GiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,

    /// Deadline for one call into a driver, in seconds (CPU and wall clock).
    #[arg(long, global = true, value_name = "SECS")]
    pub call_timeout: Option<f64>,

    /// Fail an HTTP request of a driver when no byte moved either way for
    /// this long, in seconds (default 30).
    #[arg(long, global = true, value_name = "SECS")]
    pub http_idle_timeout: Option<f64>,

    /// Instances kept for one stateless driver (concurrent calls).
    #[arg(long, global = true, value_name = "N")]
    pub max_instances: Option<usize>,

    /// Table elements per instance.
    #[arg(long, global = true, value_name = "N")]
    pub table_elements: Option<usize>,

    /// Core and component instances per store.
    #[arg(long, global = true, value_name = "N")]
    pub instance_limit: Option<usize>,

    /// Host resource handles per instance.
    #[arg(long, global = true, value_name = "N")]
    pub resource_limit: Option<usize>,

    /// Bytes a driver may pass to the host in one host call (e.g. 64MiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub hostcall_limit: Option<usize>,

    /// Wall-clock budget for compiling one driver, in seconds (default 600).
    #[arg(long, global = true, value_name = "SECS")]
    pub compile_timeout: Option<f64>,

    /// Compile cache directory (default ~/.cache/trove-host).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Do not read or write the compile cache.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// SFTP: the private key file the host logs in with (the driver never sees it).
    #[arg(long, global = true, value_name = "PATH")]
    pub identity: Option<PathBuf>,

    /// SFTP: the known_hosts file to check server keys against (default ~/.ssh/known_hosts).
    #[arg(long, global = true, value_name = "PATH")]
    pub known_hosts: Option<PathBuf>,

    /// Credentials the host reads from environment variables it is told
    /// about: ACCESS_VAR,SECRET_VAR (e.g. AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY),
    /// used as the DSN's user:password, or one VAR (e.g. AZURE_STORAGE_CONNECTION_STRING),
    /// used as its password; only when the DSN has none. The driver never reads the environment.
    #[arg(
        long,
        global = true,
        value_name = "AK_VAR,SK_VAR | VAR",
        conflicts_with = "credentials_file"
    )]
    pub credentials_env: Option<String>,

    /// A file holding one secret the host hands to the driver as the DSN's
    /// password when it has none: a GCS service-account JSON key, an Azure
    /// connection string or SAS token. The driver never reads files.
    #[arg(long, global = true, value_name = "PATH")]
    pub credentials_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the registered drivers and their capabilities.
    Drivers,
    /// Show a driver's exports, capabilities, imports and declared grants,
    /// and with --dsn, what is allowed and granted for that DSN.
    Inspect {
        /// A .wasm path or a registered scheme.
        driver: String,
    },
    /// Write a new driver project that passes the conformance suite as soon
    /// as it is built: new NAME --lang rust|python|js (NAME becomes the DSN scheme).
    New {
        /// The driver's name and DSN scheme: lowercase letters, digits, '-'.
        name: String,
        /// The language: rust (on the trove-driver SDK), python (componentize-py)
        /// or js (componentize-js).
        #[arg(long, default_value = "rust")]
        lang: String,
        /// What to start from: mem (an in-memory store) or http (Rust: a
        /// driver over HTTP, WebDAV to begin with, declaring `{endpoint}`).
        #[arg(long, default_value = "mem")]
        kind: String,
        /// Where to write it (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Show or set the grants a driver component declares (its trove:grants
    /// section), for toolchains that cannot write a custom section
    /// (componentize-py, componentize-js).
    #[command(subcommand)]
    Grants(GrantsCmd),
    /// Run the conformance suite against a driver.
    Conformance {
        /// A .wasm path or a registered scheme.
        driver: String,
        /// Only cases whose name contains TEXT.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// List the cases and exit.
        #[arg(long)]
        list: bool,
        /// Report CASE as skipped with REASON instead of running it: a known
        /// limitation of this backend (repeatable; the name must exist).
        #[arg(long = "skip", value_name = "CASE=REASON")]
        skip: Vec<String>,
    },
    /// Run one operation on a given driver: run DRIVER --dsn DSN OP [ARGS].
    Run {
        /// A .wasm path or a registered scheme.
        driver: String,
        #[command(subcommand)]
        op: Op,
    },
    /// Serve the driver over the S3 REST API (SigV4-checked): serve --dsn DSN --listen ADDR --access-key-env VAR --secret-key-env VAR
    Serve(crate::serve::ServeArgs),
    #[command(flatten)]
    Op(Op),
}

#[derive(Subcommand, Debug)]
pub enum GrantsCmd {
    /// Print the declaration of DRIVER.wasm as JSON ({} when it declares nothing).
    Show { driver: PathBuf },
    /// Write DRIVER.wasm's declaration (replacing the one at its top level):
    /// grants set dav.wasm --http '{endpoint}'.
    Set {
        driver: PathBuf,
        /// One http alternative: origin templates separated by spaces, e.g.
        /// '{endpoint}' or 'https://api.{param.region|eu-1}.example.com ?{password.json.token_uri}'
        /// (repeatable: the first alternative that resolves wins).
        #[arg(long = "http", value_name = "TEMPLATES")]
        http: Vec<String>,
        /// The directory template, e.g. '{path}'.
        #[arg(long, value_name = "TEMPLATE")]
        dir: Option<String>,
        /// One SSH session to the DSN's host, port and user.
        #[arg(long)]
        sftp: bool,
        /// The whole declaration as JSON instead of the flags above.
        #[arg(long = "from-json", value_name = "JSON", conflicts_with_all = ["http", "dir", "sftp"])]
        from_json: Option<String>,
        /// Write here instead of changing DRIVER.wasm in place.
        #[arg(long, short = 'o', value_name = "OUT.wasm")]
        output: Option<PathBuf>,
    },
}

/// The standard headers stored with an object, as `aws s3 cp` names them.
#[derive(Args, Debug)]
pub struct ContentHeaderArgs {
    #[arg(long, value_name = "VALUE")]
    pub cache_control: Option<String>,
    #[arg(long, value_name = "VALUE")]
    pub content_disposition: Option<String>,
    /// Stored as given; the bytes are not encoded by trove-host.
    #[arg(long, value_name = "VALUE")]
    pub content_encoding: Option<String>,
    #[arg(long, value_name = "VALUE")]
    pub content_language: Option<String>,
    /// An HTTP date, e.g. "Thu, 01 Dec 1994 16:00:00 GMT" (kept verbatim).
    #[arg(long, value_name = "HTTP-DATE")]
    pub expires: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Op {
    /// Check that the backend answers.
    Ping,
    /// List buckets.
    Buckets,
    /// Make a bucket.
    Mb { bucket: String },
    /// Remove an (empty) bucket.
    Rb { bucket: String },
    /// List objects.
    Ls {
        bucket: String,
        #[arg(long)]
        prefix: Option<String>,
        #[arg(long)]
        delimiter: Option<String>,
        #[arg(long, value_name = "N")]
        max_keys: Option<u32>,
        #[arg(long, value_name = "CURSOR")]
        cursor: Option<String>,
        /// Follow cursors to the end.
        #[arg(long)]
        all: bool,
    },
    /// Upload FILE (or stdin with `-` or no FILE).
    Put {
        bucket: String,
        key: String,
        file: Option<String>,
        #[arg(long, value_name = "TYPE")]
        content_type: Option<String>,
        #[command(flatten)]
        headers: ContentHeaderArgs,
        /// User metadata K=V (repeatable; the case of K is kept).
        #[arg(long = "meta", value_name = "K=V")]
        meta: Vec<String>,
        /// `*`: create only, fail if the key exists.
        #[arg(long, value_name = "ETAG")]
        if_none_match: Option<String>,
        /// Replace only if the current ETag matches.
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Download to FILE (or stdout with `-` or no FILE).
    Get {
        bucket: String,
        key: String,
        file: Option<String>,
        /// Inclusive byte offsets as in HTTP: START-END, START- or -SUFFIX.
        #[arg(long, value_name = "START-END", allow_hyphen_values = true)]
        range: Option<String>,
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
        #[arg(long, value_name = "ETAG")]
        if_none_match: Option<String>,
    },
    /// Show an object's metadata.
    Head { bucket: String, key: String },
    /// Remove an object.
    Rm { bucket: String, key: String },
    /// Copy an object.
    Cp {
        src_bucket: String,
        src_key: String,
        dst_bucket: String,
        dst_key: String,
    },
    /// Print a presigned URL.
    Presign {
        #[arg(value_parser = ["get", "put"])]
        method: String,
        bucket: String,
        key: String,
        #[arg(long, default_value_t = 3600, value_name = "SECS")]
        expires: u32,
    },
}

/// `123`, `64KiB`, `256MiB`, `1GiB`, `1G`, `10MB`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("not a size: {s:?} (try 256MiB)"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown size unit in {s:?} (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("x").is_err());
        assert!(parse_size("10XB").is_err());
    }
}
