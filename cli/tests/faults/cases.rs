//! The fault cases, each run against one target: the fault on the relayed
//! path, then the checks on the clean path. Every case asserts its outcome
//! (success with the right bytes, or the error kind it must fail with),
//! that nothing partial is visible, that it ended within its time bound,
//! and that the host still serves calls afterwards. Each returns a [`Row`]
//! for the report.

use crate::target::{limits, Target};
use std::time::{Duration, Instant};
use trove_fault_relay::{Dir, Fault, Relay};
use trove_host::{Driver, ErrorKind, GetOptions, ListOptions, PutOptions};

/// A regular object: one request (a single PutObject, media upload, Put
/// Blob, one SFTP file).
pub const SIZE: usize = 1 << 20;
/// A piped object just over one part: the cloud drivers send 8 MiB parts
/// (S3 multipart, a GCS resumable session, Azure blocks), so this is two.
pub const PIPE: usize = (8 << 20) + (64 << 10);

/// The retry window under [`limits`]: half the call timeout.
fn window() -> Duration {
    limits().call_timeout / 2
}

/// The most a retried failure may take: the window, one more attempt's
/// idle timeout, and slack for a loaded machine.
fn bound() -> Duration {
    window() + limits().http_idle_timeout * 2 + Duration::from_secs(5)
}

pub struct Row {
    pub case: String,
    pub outcome: String,
    pub connections: u64,
    pub elapsed: Duration,
}

/// Bytes that differ at every offset (a shifted or spliced body shows).
pub fn data(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn outcome<T>(r: &trove_host::Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.kind().as_str().into(),
    }
}

fn cut(dir: Dir, bytes: usize, closed: bool) -> Fault {
    let bytes = bytes as u64;
    match closed {
        true => Fault::CloseAfter { dir, bytes },
        false => Fault::ResetAfter { dir, bytes },
    }
}

/// How a put cut on every connection may fail. Each attempt is reset, so
/// the put fails `unavailable`; but when the server behind the relay is
/// itself slow to read (Azurite, busy with the attempts before), the relay
/// stops reading too, the last attempt moves no byte for the idle timeout
/// and the put fails `timeout`. Both are transient kinds a caller retries;
/// the checks that matter follow: nothing partial is visible, the bound
/// holds, and the host still serves calls.
const CUT_EVERY_TIME: &[ErrorKind] = &[ErrorKind::Unavailable, ErrorKind::Timeout];

/// How a put meets its fault.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// The first connection fails; the body can be read again (a file).
    Once,
    /// Every connection fails; the body can be read again.
    Always,
    /// Every connection fails; the body can be read once (a stream of
    /// known size).
    OneShot,
}

pub struct Run<'a> {
    pub t: &'a Target,
    pub direct: Driver,
    pub bucket: String,
    pub rows: Vec<Row>,
}

impl<'a> Run<'a> {
    pub async fn new(t: &'a Target) -> Run<'a> {
        let direct = t.direct().await;
        let bucket = format!(
            "faults-{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                & 0xffff_ffff
        );
        direct.create_bucket(&bucket).await.unwrap();
        Run {
            t,
            direct,
            bucket,
            rows: Vec::new(),
        }
    }

    async fn relay(&self) -> Relay {
        Relay::start(self.t.upstream).await.unwrap()
    }

    fn row<T>(&mut self, case: &str, r: &trove_host::Result<T>, relay: &Relay, t0: Instant) {
        let row = Row {
            case: case.to_string(),
            outcome: outcome(r),
            connections: relay.accepted(),
            elapsed: t0.elapsed(),
        };
        println!(
            "{:<18} {:<28} {:<12} {:>3} conn {:>6.2}s",
            self.t.name,
            row.case,
            row.outcome,
            row.connections,
            row.elapsed.as_secs_f64()
        );
        self.rows.push(row);
    }

    /// `r` failed with `kind` within the time bound.
    #[track_caller]
    fn failed<T: std::fmt::Debug>(
        &self,
        case: &str,
        r: &trove_host::Result<T>,
        kinds: &[ErrorKind],
        t0: Instant,
    ) {
        let e = r
            .as_ref()
            .expect_err(&format!("{} {case}: must fail", self.t.name));
        assert!(
            kinds.contains(&e.kind()),
            "{} {case}: expected {kinds:?}, got {e}",
            self.t.name
        );
        assert!(
            t0.elapsed() < bound(),
            "{} {case}: took {:?}",
            self.t.name,
            t0.elapsed()
        );
    }

    /// The clean path sees `key` holding exactly `want`, or nothing.
    async fn holds(&self, key: &str, want: Option<&[u8]>) {
        let got = self
            .direct
            .get_bytes(&self.bucket, key, GetOptions::default())
            .await;
        match (want, got) {
            (None, Err(e)) => assert_eq!(e.kind(), ErrorKind::ObjectNotFound, "{key}: {e}"),
            (None, Ok((_, b))) => panic!(
                "{} {key}: a failed put left an object of {} bytes",
                self.t.name,
                b.len()
            ),
            (Some(w), Ok((info, b))) => {
                assert!(
                    b == w && info.size == w.len() as u64,
                    "{} {key}: holds {} bytes, not the {} put",
                    self.t.name,
                    b.len(),
                    w.len()
                );
            }
            (Some(_), Err(e)) => panic!("{} {key}: {e}", self.t.name),
        }
    }

    /// The faulty path's host still serves calls once the fault is gone.
    async fn serves(&self, d: &Driver, relay: &Relay) {
        relay.always(Fault::Pass);
        relay.script([]);
        let key = "alive/probe";
        d.put_bytes(&self.bucket, key, b"alive".to_vec(), PutOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{}: the host no longer serves puts: {e}", self.t.name));
        let (_, b) = d
            .get_bytes(&self.bucket, key, GetOptions::default())
            .await
            .unwrap();
        assert_eq!(b, b"alive");
    }

    async fn put_direct(&self, key: &str, body: &[u8]) {
        self.direct
            .put_bytes(&self.bucket, key, body.to_vec(), PutOptions::default())
            .await
            .unwrap();
    }

    /// A put of [`SIZE`] bytes cut (reset) after `pct`% of its body.
    pub async fn put_cut(&mut self, pct: usize, mode: Mode) {
        let case = format!("put cut {pct}% {mode:?}");
        let key = format!("put-{pct}-{mode:?}");
        let body = data(SIZE, pct as u64);
        let relay = self.relay().await;
        let fault = cut(Dir::Up, SIZE * pct / 100, false);
        match mode {
            Mode::Once => relay.script([fault]),
            _ => relay.always(fault),
        }
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let opts = PutOptions {
            size: Some(SIZE as u64),
            ..PutOptions::default()
        };
        let r = match mode {
            Mode::OneShot => {
                let reader = std::io::Cursor::new(body.clone());
                d.put(&self.bucket, &key, reader, opts).await
            }
            _ => {
                let b = bytes_of(&body);
                d.put_replayable(
                    &self.bucket,
                    &key,
                    || std::future::ready(Ok(std::io::Cursor::new(b.clone()))),
                    opts,
                )
                .await
            }
        };
        self.row(&case, &r, &relay, t0);
        match mode {
            Mode::Once => {
                r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
                assert!(relay.accepted() >= 2, "{case}: the cut attempt was retried");
                self.holds(&key, Some(&body)).await;
            }
            _ => {
                self.failed(&case, &r, CUT_EVERY_TIME, t0);
                self.holds(&key, None).await;
            }
        }
        self.serves(&d, &relay).await;
    }

    /// A put from a pipe (unknown size, [`PIPE`] bytes: multipart, a
    /// resumable session, blocks) cut after `pct`% of its first part, on
    /// the first connection only or on every one. A pipe cannot be read
    /// again: a put that fails leaves nothing.
    pub async fn pipe_cut(&mut self, pct: usize, once: bool) {
        let case = format!("pipe cut {pct}% {}", if once { "Once" } else { "Always" });
        let key = format!("pipe-{pct}-{once}");
        let body = data(PIPE, 100 + pct as u64);
        let relay = self.relay().await;
        let fault = cut(Dir::Up, (8 << 20) * pct / 100, false);
        match once {
            true => relay.script([fault]),
            false => relay.always(fault),
        }
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let reader = std::io::Cursor::new(body.clone());
        let r = d
            .put(&self.bucket, &key, reader, PutOptions::default())
            .await;
        self.row(&case, &r, &relay, t0);
        // The cloud drivers hold a part whole, so the host resends it; the
        // sftp driver streams a pipe into one file: a cut fails the put.
        if once && self.t.http {
            r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
            self.holds(&key, Some(&body)).await;
        } else {
            self.failed(&case, &r, CUT_EVERY_TIME, t0);
            self.holds(&key, None).await;
        }
        self.serves(&d, &relay).await;
    }

    /// An overwrite cut halfway, on every attempt: the old object stays.
    pub async fn overwrite_cut(&mut self) {
        let case = "overwrite cut 50%";
        let key = "overwrite";
        let old = data(SIZE / 2, 7);
        self.put_direct(key, &old).await;
        let relay = self.relay().await;
        relay.always(cut(Dir::Up, SIZE / 2, false));
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let new = data(SIZE, 8);
        let r = d
            .put_bytes(&self.bucket, key, new, PutOptions::default())
            .await;
        self.row(case, &r, &relay, t0);
        self.failed(case, &r, CUT_EVERY_TIME, t0);
        self.holds(key, Some(&old)).await;
        self.serves(&d, &relay).await;
    }

    /// A get whose body is cut halfway: reset, or closed cleanly short of
    /// its length (`truncated`). The reader must fail, never end short.
    pub async fn get_cut(&mut self, truncated: bool) {
        let case = if truncated {
            "get truncated 50%"
        } else {
            "get reset 50%"
        };
        let key = format!("get-{truncated}");
        let body = data(SIZE, 9);
        self.put_direct(&key, &body).await;
        let relay = self.relay().await;
        relay.script([cut(Dir::Down, SIZE / 2, truncated)]);
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let r = match d.get(&self.bucket, &key, GetOptions::default()).await {
            Ok((_, reader)) => reader.read_all().await,
            Err(e) => Err(e),
        };
        self.row(case, &r, &relay, t0);
        match &r {
            // the cut came before the head: the get was retried whole
            Ok(b) => assert!(
                b == &body,
                "{case}: a get returned wrong bytes without error"
            ),
            Err(_) => self.failed(case, &r, &[ErrorKind::Unavailable], t0),
        }
        self.serves(&d, &relay).await;
    }

    /// A server that stops moving bytes halfway through a put (every
    /// attempt) or a get. HTTP: `timeout` after the idle timeout, not the
    /// call's. SFTP has no idle timeout of its own: the call deadline stops
    /// the stalled attempt (`timeout`); a put's retry (on the same session)
    /// rides out a stall that ends within the retry window.
    pub async fn stall(&mut self, dir: Dir) {
        let case = format!("stall {dir:?} 50%");
        let key = format!("stall-{dir:?}");
        let body = data(SIZE, 10);
        if dir == Dir::Down {
            self.put_direct(&key, &body).await;
        }
        let relay = self.relay().await;
        let stall = Fault::StallAfter {
            dir,
            bytes: SIZE as u64 / 2,
            stall: match self.t.http {
                true => Duration::from_secs(10),
                false => limits().call_timeout + Duration::from_secs(2),
            },
        };
        // before the driver opens: an SFTP session connects at once
        match dir {
            Dir::Up => relay.always(stall),
            Dir::Down => relay.script([stall]),
        }
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let r = match dir {
            Dir::Up => d
                .put_bytes(&self.bucket, &key, body.clone(), PutOptions::default())
                .await
                .map(|_| Vec::new()),
            Dir::Down => match d.get(&self.bucket, &key, GetOptions::default()).await {
                Ok((_, reader)) => reader.read_all().await,
                Err(e) => Err(e),
            },
        };
        self.row(&case, &r, &relay, t0);
        if self.t.http || dir == Dir::Down {
            // a get is not retried once the host's deadline stopped it
            self.failed(&case, &r, &[ErrorKind::Timeout], t0);
        } else {
            let got = r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
            assert!(dir == Dir::Up || got == body, "{case}: wrong bytes");
            assert!(
                t0.elapsed() > limits().call_timeout,
                "{case}: the stall was not met"
            );
        }
        if dir == Dir::Up {
            let stored = (!self.t.http).then_some(&body[..]);
            self.holds(&key, stored).await;
        }
        self.serves(&d, &relay).await;
    }

    /// `n` answers of 503 SlowDown, then the server: a storm shorter than
    /// the retries passes; one that never ends fails with `unavailable`
    /// within the retry window, after a bounded number of attempts.
    pub async fn storm(&mut self, n: Option<usize>) {
        let case = match n {
            Some(n) => format!("503 x{n} then ok"),
            None => "503 storm, endless".to_string(),
        };
        let key = format!("storm-{n:?}");
        let body = data(SIZE / 4, 11);
        let relay = self.relay().await;
        let slow = Fault::Answer {
            status: 503,
            retry_after: None,
        };
        match n {
            Some(n) => relay.script(vec![slow; n]),
            None => relay.always(slow),
        }
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let r = d
            .put_bytes(&self.bucket, &key, body.clone(), PutOptions::default())
            .await;
        self.row(&case, &r, &relay, t0);
        let most = trove_host::MAX_RETRIES as u64 + 1;
        match n {
            Some(_) => {
                r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
                self.holds(&key, Some(&body)).await;
            }
            None => {
                self.failed(&case, &r, &[ErrorKind::Unavailable], t0);
                assert!(
                    relay.accepted() <= most + 1,
                    "{case}: {} attempts",
                    relay.accepted()
                );
                self.holds(&key, None).await;
            }
        }
        self.serves(&d, &relay).await;
    }

    /// A piped put (several parts) whose second and third connections are
    /// answered 503 SlowDown: what they carried (a part, an upload's
    /// creation; a driver that sends its chunks on one connection opens no
    /// second) is sent again, and the upload completes.
    pub async fn pipe_storm(&mut self) {
        let case = "pipe, 503 on 2 connections";
        let key = "pipe-storm";
        let body = data(PIPE, 13);
        let relay = self.relay().await;
        let slow = Fault::Answer {
            status: 503,
            retry_after: None,
        };
        relay.script([Fault::Pass, slow.clone(), slow]);
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let reader = std::io::Cursor::new(body.clone());
        let r = d
            .put(&self.bucket, key, reader, PutOptions::default())
            .await;
        self.row(case, &r, &relay, t0);
        r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
        self.holds(key, Some(&body)).await;
        self.serves(&d, &relay).await;
    }

    /// One 503 with `Retry-After: 2`: the retry waits that long.
    pub async fn retry_after(&mut self) {
        let case = "503 Retry-After 2";
        let key = "retry-after";
        self.put_direct(key, b"x").await;
        let relay = self.relay().await;
        relay.script([Fault::Answer {
            status: 503,
            retry_after: Some(2),
        }]);
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let r = d.head(&self.bucket, key).await;
        self.row(case, &r, &relay, t0);
        r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
        assert!(
            t0.elapsed() >= Duration::from_secs(2),
            "{case}: {:?}",
            t0.elapsed()
        );
        self.serves(&d, &relay).await;
    }

    /// The server dies between two calls (open connections reset, new ones
    /// refused) for `down`, then comes back: the second call is retried
    /// while the retry window lasts, and fails with `unavailable` after it.
    pub async fn down(&mut self, down: Duration) {
        let back = down < window();
        let case = format!("down {:.1}s between calls", down.as_secs_f64());
        let key = format!("down-{}", down.as_millis());
        self.put_direct(&key, b"x").await;
        let relay = self.relay().await;
        let d = self.t.via(&relay).await;
        // the first call opens a connection (an SFTP session) to kill
        d.head(&self.bucket, &key).await.unwrap();
        relay.kill_for(down);
        let t0 = Instant::now();
        let r = d.head(&self.bucket, &key).await;
        self.row(&case, &r, &relay, t0);
        if back {
            r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
        } else {
            self.failed(&case, &r, &[ErrorKind::Unavailable], t0);
        }
        relay.refuse_for(Duration::ZERO);
        self.serves(&d, &relay).await;
    }

    /// A put whose bytes move steadily but slowly, for longer than the idle
    /// timeout and the call timeout together: it must succeed (the idle
    /// timeout counts from the last byte moved, the call deadline restarts
    /// while bytes move). `pipe`: a piped put, whose parts are bodies the
    /// host holds whole.
    pub async fn slow(&mut self, pipe: bool) {
        let (case, key, size) = match pipe {
            false => ("slow put 8s", "slow-put", 8 * SIZE),
            true => ("slow pipe 8s", "slow-pipe", PIPE),
        };
        let body = data(size, 12);
        let relay = self.relay().await;
        let secs = limits().call_timeout.as_secs() + 2;
        relay.always(Fault::Throttle {
            dir: Dir::Up,
            per_sec: size as u64 / secs,
        });
        let d = self.t.via(&relay).await;
        let t0 = Instant::now();
        let r = match pipe {
            false => {
                let opts = PutOptions {
                    size: Some(size as u64),
                    ..PutOptions::default()
                };
                d.put(&self.bucket, key, std::io::Cursor::new(body.clone()), opts)
                    .await
            }
            true => {
                d.put(
                    &self.bucket,
                    key,
                    std::io::Cursor::new(body.clone()),
                    PutOptions::default(),
                )
                .await
            }
        };
        self.row(case, &r, &relay, t0);
        r.unwrap_or_else(|e| panic!("{} {case}: {e}", self.t.name));
        assert!(
            t0.elapsed() > limits().call_timeout,
            "{case}: not slow: {:?}",
            t0.elapsed()
        );
        self.holds(key, Some(&body)).await;
    }

    /// No object but the ones the cases meant to leave.
    pub async fn no_leftovers(&self, expected: &[&str]) {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .direct
                .list(
                    &self.bucket,
                    ListOptions {
                        cursor: cursor.take(),
                        ..ListOptions::default()
                    },
                )
                .await
                .unwrap();
            seen.extend(page.objects.into_iter().map(|o| o.key));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        for k in &seen {
            assert!(
                expected
                    .iter()
                    .any(|e| k == e || k.starts_with(&format!("{e}/"))),
                "{}: {k} was left behind (listed: {seen:?})",
                self.t.name
            );
        }
    }
}

fn bytes_of(v: &[u8]) -> std::sync::Arc<[u8]> {
    v.into()
}
