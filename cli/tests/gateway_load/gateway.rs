//! `trove-host serve` as a user runs it: a child process on a free port,
//! its resident memory read from /proc, stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "loadtest";

pub struct Gateway {
    pub child: Child,
    pub addr: SocketAddr,
    /// Lines of stdout after "serving" (the "stopped" line).
    stdout: std::sync::mpsc::Receiver<String>,
}

/// A fresh secret for this run (never printed).
pub fn secret() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

impl Gateway {
    /// Starts `serve` on `dsn` with `extra` flags (limits) and waits for its
    /// "serving" line.
    pub fn start(dsn: &str, secret: &str, extra: &[&str], env: &[(String, String)]) -> Gateway {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trove-host"));
        c.arg("--cache-dir")
            .arg(concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"))
            .args(["serve", "--dsn", dsn, "--listen", "127.0.0.1:0"])
            .args([
                "--access-key-env",
                "TROVE_LOAD_AK",
                "--secret-key-env",
                "TROVE_LOAD_SK",
            ])
            .args(extra)
            .env("TROVE_LOAD_AK", ACCESS_KEY)
            .env("TROVE_LOAD_SK", secret)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("trove-host serve starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("serve prints its serving line");
        // "serving NAME VERSION on DSN at http://ADDR (…)": the DSN may hold
        // an http:// endpoint too
        let addr = line
            .rsplit(" at http://")
            .next()
            .and_then(|r| r.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Gateway {
            child,
            addr,
            stdout: rx,
        }
    }

    pub fn sigterm(&self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
    }

    /// Waits for the process to exit after a SIGTERM: it must exit 0 after
    /// printing "stopped", within `within`.
    pub fn stopped(mut self, within: Duration) -> Duration {
        let t0 = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                assert!(st.success(), "serve exited with {st}");
                let rest: Vec<String> = self.stdout.try_iter().collect();
                assert!(
                    rest.iter().any(|l| l == "stopped"),
                    "no 'stopped' line: {rest:?}"
                );
                return t0.elapsed();
            }
            assert!(
                t0.elapsed() < within,
                "serve did not stop within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
