//! Each wasm driver against a native baseline, in the same run, as ratios.
//!
//! `cargo bench -p trove-bench` (or `scripts/bench.sh`), with `-- --quick` to
//! skip the 1 GiB rows and `-- --only mem,file` to run some groups of rows
//! (floors, mem, file, concurrency, s3, objstore, ping). Baselines: Apache OpenDAL's `memory` and `fs`
//! services (and `s3` against the same server when `TROVE_TEST_S3S_DSN` etc.
//! are set by scripts/servers/s3s.sh), `cp`, and memcpy. Peak RSS is measured
//! per workload by resetting the kernel's high-water mark (`clear_refs`).

// A file under compare/: not a bench target of its own.
#[path = "compare/objstore.rs"]
mod objstore;

use bytes::Bytes;
use futures::StreamExt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use trove_host::{Driver, GetOptions, Host, HostConfig, Limits, ListOptions, PutOptions};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

struct Row {
    workload: String,
    trove: f64,
    native: f64,
    unit: &'static str,
    trove_rss: u64,
    native_rss: u64,
    baseline: &'static str,
}

/// Peak RSS since the last reset, in MiB. (Where the kernel ignores
/// `clear_refs`, as gVisor does, this is the process's peak so far.)
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Run `f`, returning (seconds, peak RSS MiB during it).
async fn measure<F: Future<Output = ()>>(f: F) -> (f64, u64) {
    reset_peak_rss();
    let t = Instant::now();
    f.await;
    (t.elapsed().as_secs_f64(), peak_rss_mib())
}

/// CPU seconds (user + system) this process has used.
fn own_cpu_seconds() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// CPU seconds (user + system) process `pid` has used, from /proc.
fn cpu_seconds_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / hz)
}

/// CPU seconds used by this process plus the test server (when its pid is known).
fn cpu_now(server: Option<u32>) -> f64 {
    own_cpu_seconds() + server.and_then(cpu_seconds_of).unwrap_or(0.0)
}

/// A TCP relay to `target` that holds every byte for `one_way` in each
/// direction before passing it on: a fixed network latency, as a server in
/// another region would have (the loopback has none). Returns its address.
async fn delay_relay(target: std::net::SocketAddr, one_way: Duration) -> std::net::SocketAddr {
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};
    async fn pump(
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        delay: Duration,
    ) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n @ 1..) = from.read(&mut buf).await {
                let due = tokio::time::Instant::now() + delay;
                if tx.send((due, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        while let Some((due, data)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&data).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
        reader.abort();
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pump(cr, sw, one_way));
            tokio::spawn(pump(sr, cw, one_way));
        }
    });
    addr
}

/// `size` bytes of a repeating pattern, served without allocating `size`.
struct Pattern {
    block: Bytes,
    left: u64,
}

impl Pattern {
    fn new(block: &Bytes, size: u64) -> Pattern {
        Pattern {
            block: block.clone(),
            left: size,
        }
    }
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (self.left as usize)
            .min(buf.remaining())
            .min(self.block.len());
        buf.put_slice(&self.block[..n]);
        self.left -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// Read a body to its end into `buf` (allocated once per workload: a fresh
/// 1 MiB buffer per get would cost an mmap and munmap each, and the native
/// side allocates nothing).
async fn drain(mut r: impl AsyncRead + Unpin, buf: &mut [u8]) -> u64 {
    let mut total = 0;
    loop {
        let n = r.read(buf).await.expect("read body");
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

fn label(size: u64) -> String {
    match size {
        s if s >= GIB => format!("{} GiB", s / GIB),
        s if s >= MIB => format!("{} MiB", s / MIB),
        s => format!("{} KiB", s / KIB),
    }
}

fn reps(size: u64) -> usize {
    match size {
        s if s <= KIB => 20_000,
        s if s <= MIB => 200,
        s if s <= 64 * MIB => 4,
        _ => 1,
    }
}

/// Seconds and peak RSS (MiB) of the four phases of one [`put_get`] round:
/// trove put, OpenDAL put, trove get, OpenDAL get.
type Phases = [(f64, u64); 4];

/// How many rounds a size gets on a local store: small operations are short
/// enough for the machine's noise to matter, so they run three rounds and
/// keep each side's best. (The s3 rows, server-bound, always run three.)
fn rounds(size: u64) -> usize {
    if size <= KIB {
        3
    } else {
        1
    }
}

/// Each phase's fastest round so far.
fn keep_best(best: Option<Phases>, round: Phases) -> Phases {
    match best {
        None => round,
        Some(b) => std::array::from_fn(|i| if round[i].0 < b[i].0 { round[i] } else { b[i] }),
    }
}

/// put then get of `size`-byte objects: trove vs OpenDAL. Trove streams
/// from an `AsyncRead` of known size and OpenDAL writes through its writer.
#[allow(clippy::too_many_arguments)]
async fn put_get(
    rows: &mut Vec<Row>,
    name: &str,
    d: &Driver,
    op: &opendal::Operator,
    baseline: &'static str,
    size: u64,
    block: &Bytes,
    rounds: usize,
) {
    let mut best: Option<Phases> = None;
    for _ in 0..rounds {
        let r = put_get_round(d, op, size, block).await;
        best = Some(keep_best(best, r));
    }
    let [tp, np, tg, ng] = best.expect("at least one round");
    push_pair(
        rows,
        &format!("{name} put {}", label(size)),
        size,
        reps(size),
        tp,
        np,
        baseline,
    );
    push_pair(
        rows,
        &format!("{name} get {}", label(size)),
        size,
        reps(size),
        tg,
        ng,
        baseline,
    );
}

/// One row from the (seconds, RSS) of `n` operations of `size` bytes on each side.
fn push_pair(
    rows: &mut Vec<Row>,
    workload: &str,
    size: u64,
    n: usize,
    trove: (f64, u64),
    native: (f64, u64),
    baseline: &'static str,
) {
    let unit = if size <= KIB { "ops/s" } else { "MiB/s" };
    let conv = |secs: f64| {
        if size <= KIB {
            n as f64 / secs
        } else {
            (n as u64 * size) as f64 / MIB as f64 / secs
        }
    };
    rows.push(Row {
        workload: workload.to_string(),
        trove: conv(trove.0),
        native: conv(native.0),
        unit,
        trove_rss: trove.1,
        native_rss: native.1,
        baseline,
    });
}

async fn put_get_round(d: &Driver, op: &opendal::Operator, size: u64, block: &Bytes) -> Phases {
    let n = reps(size);
    let bucket = "bench";
    let _ = d.create_bucket(bucket).await;
    let key = |i: usize| format!("obj-{}-{i}", size);
    let tp = measure(async {
        for i in 0..n {
            // The size is known, as for a file (`trove-host put` passes it).
            let opts = PutOptions {
                size: Some(size),
                ..Default::default()
            };
            d.put(bucket, &key(i), Pattern::new(block, size), opts)
                .await
                .expect("trove put");
        }
    })
    .await;
    let np = measure(async {
        for i in 0..n {
            let mut w = op
                .writer(&format!("{bucket}/{}", key(i)))
                .await
                .expect("writer");
            write_pattern(&mut w, size, block).await;
        }
    })
    .await;
    let tg = measure(async {
        let mut buf = vec![0u8; MIB as usize];
        for i in 0..n {
            let (_, r) = d
                .get(bucket, &key(i), GetOptions::default())
                .await
                .expect("trove get");
            assert_eq!(drain(r, &mut buf).await, size);
        }
    })
    .await;
    let ng = measure(async {
        for i in 0..n {
            let r = op
                .reader(&format!("{bucket}/{}", key(i)))
                .await
                .expect("reader");
            let mut s = r.into_bytes_stream(..).await.expect("stream");
            let mut total = 0u64;
            while let Some(chunk) = s.next().await {
                total += chunk.expect("chunk").len() as u64;
            }
            assert_eq!(total, size);
        }
    })
    .await;
    remove_all(d, op, bucket, n, key).await;
    [tp, np, tg, ng]
}

/// A put whose size is not known (a pipe: `trove-host put B K -`) of `size`:
/// trove's s3 driver turns it into a multipart upload with parts in flight
/// (`http.send-async`); OpenDAL's s3 writer writes 8 MiB chunks with 4 in
/// flight (`concurrent(4)`). Best of two rounds.
async fn unknown_size_put(
    rows: &mut Vec<Row>,
    d: &Driver,
    in_flight: &str,
    size: u64,
    op: &opendal::Operator,
    block: &Bytes,
) {
    let bucket = "bench";
    let _ = d.create_bucket(bucket).await;
    let mut best: Option<[(f64, u64); 2]> = None;
    for round in 0..2 {
        let key = format!("piped-{round}");
        let t = measure(async {
            d.put(
                bucket,
                &key,
                Pattern::new(block, size),
                PutOptions::default(),
            )
            .await
            .expect("trove put");
        })
        .await;
        let n = measure(async {
            let mut w = op
                .writer_with(&format!("{bucket}/{key}"))
                .chunk(8 * MIB as usize)
                .concurrent(4)
                .await
                .expect("writer");
            write_pattern(&mut w, size, block).await;
        })
        .await;
        let _ = d.delete(bucket, &key).await;
        let _ = op.delete(&format!("{bucket}/{key}")).await;
        best = Some(match best {
            Some([bt, bn]) => [
                if t.0 < bt.0 { t } else { bt },
                if n.0 < bn.0 { n } else { bn },
            ],
            None => [t, n],
        });
    }
    let [t, n] = best.expect("two rounds");
    let row = format!(
        "s3 put {}, size unknown (a pipe), {in_flight} in flight",
        label(size)
    );
    push_pair(rows, &row, size, 1, t, n, "OpenDAL s3, 4 × 8 MiB in flight");
}

/// `size` bytes of `block` repeated, through an OpenDAL writer, then closed.
async fn write_pattern(w: &mut opendal::Writer, size: u64, block: &Bytes) {
    let mut left = size;
    while left > 0 {
        let m = left.min(block.len() as u64) as usize;
        w.write(block.slice(..m)).await.expect("write");
        left -= m as u64;
    }
    w.close().await.expect("close");
}

/// Deletes the `n` keys of a round on both sides.
async fn remove_all(
    d: &Driver,
    op: &opendal::Operator,
    bucket: &str,
    n: usize,
    key: impl Fn(usize) -> String,
) {
    for i in 0..n {
        let _ = d.delete(bucket, &key(i)).await;
        let _ = op.delete(&format!("{bucket}/{}", key(i))).await;
    }
}

/// 1 KiB objects put and got as bytes in memory, through each side's
/// one-call API: trove's `put_bytes`/`get_bytes` against OpenDAL's
/// `write`/`read`. Best of three rounds, as for the streamed 1 KiB rows.
async fn in_memory_1k(rows: &mut Vec<Row>, d: &Driver, op: &opendal::Operator) {
    let n = reps(KIB);
    let bucket = "bench-bytes";
    let _ = d.create_bucket(bucket).await;
    let data = Bytes::from(vec![0x5au8; KIB as usize]);
    let key = |i: usize| format!("obj-bytes-{i}");
    let mut best: Option<Phases> = None;
    for _ in 0..3 {
        let tp = measure(async {
            for i in 0..n {
                d.put_bytes(bucket, &key(i), data.to_vec(), PutOptions::default())
                    .await
                    .expect("trove put_bytes");
            }
        })
        .await;
        let np = measure(async {
            for i in 0..n {
                op.write(&format!("{bucket}/{}", key(i)), data.clone())
                    .await
                    .expect("write");
            }
        })
        .await;
        let tg = measure(async {
            for i in 0..n {
                let (_, b) = d
                    .get_bytes(bucket, &key(i), GetOptions::default())
                    .await
                    .expect("trove get_bytes");
                assert_eq!(b.len() as u64, KIB);
            }
        })
        .await;
        let ng = measure(async {
            for i in 0..n {
                let b = op
                    .read(&format!("{bucket}/{}", key(i)))
                    .await
                    .expect("read");
                assert_eq!(b.len() as u64, KIB);
            }
        })
        .await;
        remove_all(d, op, bucket, n, key).await;
        best = Some(keep_best(best, [tp, np, tg, ng]));
    }
    let [tp, np, tg, ng] = best.expect("three rounds");
    let base = "OpenDAL memory";
    push_pair(rows, "mem put 1 KiB, bytes in memory", KIB, n, tp, np, base);
    push_pair(rows, "mem get 1 KiB, bytes in memory", KIB, n, tg, ng, base);
}

/// head and list operations per second.
async fn metadata_ops(
    rows: &mut Vec<Row>,
    name: &str,
    d: &Driver,
    op: &opendal::Operator,
    baseline: &'static str,
) {
    let bucket = "meta";
    let _ = d.create_bucket(bucket).await;
    for i in 0..100 {
        d.put_bytes(
            bucket,
            &format!("k{i:03}"),
            vec![1u8; 100],
            PutOptions::default(),
        )
        .await
        .unwrap();
        op.write(&format!("{bucket}/k{i:03}"), vec![1u8; 100])
            .await
            .unwrap();
    }
    let n = 20_000;
    let (th, thr) = measure(async {
        for i in 0..n {
            d.head(bucket, &format!("k{:03}", i % 100)).await.unwrap();
        }
    })
    .await;
    let (nh, nhr) = measure(async {
        for i in 0..n {
            op.stat(&format!("{bucket}/k{:03}", i % 100)).await.unwrap();
        }
    })
    .await;
    rows.push(Row {
        workload: format!("{name} head"),
        trove: n as f64 / th,
        native: n as f64 / nh,
        unit: "ops/s",
        trove_rss: thr,
        native_rss: nhr,
        baseline,
    });
    let l = 200;
    let (tl, tlr) = measure(async {
        for _ in 0..l {
            assert_eq!(
                d.list(bucket, ListOptions::default())
                    .await
                    .unwrap()
                    .objects
                    .len(),
                100
            );
        }
    })
    .await;
    let (nl, nlr) = measure(async {
        for _ in 0..l {
            assert!(op.list(&format!("{bucket}/")).await.unwrap().len() >= 100);
        }
    })
    .await;
    rows.push(Row {
        workload: format!("{name} list (100 keys)"),
        trove: l as f64 / tl,
        native: l as f64 / nl,
        unit: "ops/s",
        trove_rss: tlr,
        native_rss: nlr,
        baseline,
    });
}

/// CPU seconds per operation (this process plus the server) of one row,
/// trove's and the baseline's.
struct CpuPerOp {
    trove: f64,
    native: f64,
}

/// 1 KiB puts from `clients` concurrent tasks. `server`: the test server's
/// pid, whose CPU time is counted with this process's.
async fn concurrent_puts(
    rows: &mut Vec<Row>,
    name: &str,
    d: &Driver,
    op: &opendal::Operator,
    baseline: &'static str,
    clients: usize,
    server: Option<u32>,
) -> CpuPerOp {
    let bucket = "conc";
    let _ = d.create_bucket(bucket).await;
    let per = 200;
    let cpu0 = cpu_now(server);
    let (t, tr) = measure(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let d = d.clone();
                tokio::spawn(async move {
                    for i in 0..per {
                        d.put_bytes(
                            bucket,
                            &format!("c{c}-{i}"),
                            vec![7u8; 1024],
                            PutOptions::default(),
                        )
                        .await
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await;
    let cpu1 = cpu_now(server);
    let (n, nr) = measure(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let op = op.clone();
                tokio::spawn(async move {
                    for i in 0..per {
                        op.write(&format!("{bucket}/c{c}-{i}"), vec![7u8; 1024])
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await;
    let cpu2 = cpu_now(server);
    let total = (clients * per) as f64;
    rows.push(Row {
        workload: format!("{name} 1 KiB puts, {clients} clients"),
        trove: total / t,
        native: total / n,
        unit: "ops/s",
        trove_rss: tr,
        native_rss: nr,
        baseline,
    });
    CpuPerOp {
        trove: (cpu1 - cpu0) / total,
        native: (cpu2 - cpu1) / total,
    }
}

/// The physical floors: memcpy and `cp`.
fn floors(rows: &mut Vec<Row>, dir: &Path, quick: bool) {
    let size = if quick { 64 * MIB } else { GIB } as usize;
    let src = vec![3u8; size];
    let mut dst = vec![0u8; size];
    dst.copy_from_slice(&src); // fault the pages in first
    reset_peak_rss();
    let t = Instant::now();
    for _ in 0..4 {
        std::hint::black_box(&mut dst).copy_from_slice(std::hint::black_box(&src));
        std::hint::black_box(&dst);
    }
    let memcpy = 4.0 * size as f64 / MIB as f64 / t.elapsed().as_secs_f64();
    let rss = peak_rss_mib();
    rows.push(Row {
        workload: format!("memcpy {}", label(size as u64)),
        trove: memcpy,
        native: memcpy,
        unit: "MiB/s",
        trove_rss: rss,
        native_rss: rss,
        baseline: "memcpy",
    });
    let a = dir.join("cp-src");
    std::fs::write(&a, &src).unwrap();
    drop((src, dst));
    let t = Instant::now();
    let ok = std::process::Command::new("cp")
        .arg(&a)
        .arg(dir.join("cp-dst"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let cp = size as f64 / MIB as f64 / t.elapsed().as_secs_f64();
    if ok {
        rows.push(Row {
            workload: format!("cp {}", label(size as u64)),
            trove: cp,
            native: cp,
            unit: "MiB/s",
            trove_rss: 0,
            native_rss: 0,
            baseline: "cp",
        });
    }
    let _ = std::fs::remove_file(a);
    let _ = std::fs::remove_file(dir.join("cp-dst"));
}

/// `trove-host ping` start-up: a cold compile cache against a warm one.
fn ping_start(rows: &mut Vec<Row>, dir: &Path) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("release/trove-host");
    if !bin.exists() {
        println!(
            "(skipping ping start-up: build {} first: cargo build --release -p trove-cli)",
            bin.display()
        );
        return;
    }
    let run = |cache: &Path| {
        let t = Instant::now();
        let ok = std::process::Command::new(&bin)
            .args(["--cache-dir"])
            .arg(cache)
            .args(["ping", "--dsn", "mem://"])
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "trove-host ping failed");
        t.elapsed().as_secs_f64() * 1000.0
    };
    let mut cold = Vec::new();
    for i in 0..3 {
        cold.push(run(&dir.join(format!("cold-cache-{i}"))));
    }
    let warm_dir = dir.join("warm-cache");
    run(&warm_dir);
    let mut warm: Vec<f64> = (0..10).map(|_| run(&warm_dir)).collect();
    cold.sort_by(f64::total_cmp);
    warm.sort_by(f64::total_cmp);
    rows.push(Row {
        workload: "ping start, warm cache vs cold (median ms)".into(),
        trove: warm[warm.len() / 2],
        native: cold[cold.len() / 2],
        unit: "ms",
        trove_rss: 0,
        native_rss: 0,
        baseline: "cold start",
    });
}

fn s3_operator() -> Option<(String, opendal::Operator)> {
    let dsn = std::env::var("TROVE_TEST_S3S_DSN").ok()?;
    let endpoint = std::env::var("TROVE_TEST_S3S_ENDPOINT").ok()?;
    Some((dsn, s3_operator_at(&endpoint)?))
}

/// OpenDAL's s3 service at `endpoint`, with the test server's keys.
fn s3_operator_at(endpoint: &str) -> Option<opendal::Operator> {
    let ak = std::env::var("TROVE_TEST_S3S_ACCESS_KEY").ok()?;
    let sk = std::env::var("TROVE_TEST_S3S_SECRET_KEY").ok()?;
    let b = opendal::services::S3::default()
        .bucket("bench-native")
        .endpoint(endpoint)
        .region("us-east-1")
        .access_key_id(&ak)
        .secret_access_key(&sk);
    match opendal::Operator::new(b) {
        Ok(op) => Some(op),
        Err(e) => {
            println!("(no S3 rows: OpenDAL s3 operator: {e})");
            None
        }
    }
}

/// The s3 rows for 1 and 20 clients: on the loopback, and through
/// [`delay_relay`] with a round trip of `TROVE_BENCH_RTT_MS` (default 10 ms).
/// Returns notes with the CPU each put costs: on the loopback that, not the
/// host, bounds how far 20 clients can go on this machine.
async fn s3_scaling(
    rows: &mut Vec<Row>,
    host: &Host,
    dsn: &str,
    s3: &Driver,
    native: &opendal::Operator,
) -> String {
    let server = std::env::var("TROVE_TEST_S3S_PID")
        .ok()
        .and_then(|p| p.parse().ok());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut out = format!(
        "\nS3 scaling, 1 KiB puts. CPU per put counts this process and the s3s-fs server{}; \
         the ceiling is {cores} cores divided by the CPU per put at 20 clients.\n\n",
        if server.is_some() {
            ""
        } else {
            " (its pid is unknown here: this process only)"
        }
    );
    let mut scale = |rows: &mut Vec<Row>, label: &str, cpu: [CpuPerOp; 2]| {
        let (one, twenty) = (&rows[rows.len() - 2], &rows[rows.len() - 1]);
        out += &format!(
            "- {label}: trove {:.0} → {:.0} puts/s ({:.1}×), CPU {:.0} → {:.0} µs per put, \
             ceiling {:.0} puts/s ({:.1}× of 1 client); OpenDAL {:.0} → {:.0} puts/s ({:.1}×), \
             CPU {:.0} → {:.0} µs per put, ceiling {:.0} puts/s ({:.1}×)\n",
            one.trove,
            twenty.trove,
            twenty.trove / one.trove,
            cpu[0].trove * 1e6,
            cpu[1].trove * 1e6,
            cores / cpu[1].trove,
            cores / cpu[1].trove / one.trove,
            one.native,
            twenty.native,
            twenty.native / one.native,
            cpu[0].native * 1e6,
            cpu[1].native * 1e6,
            cores / cpu[1].native,
            cores / cpu[1].native / one.native,
        );
    };
    let mut cpu = Vec::new();
    for clients in [1, 20] {
        cpu.push(concurrent_puts(rows, "s3", s3, native, "OpenDAL s3", clients, server).await);
    }
    scale(rows, "loopback", [cpu.remove(0), cpu.remove(0)]);

    let rtt: u64 = std::env::var("TROVE_BENCH_RTT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let endpoint = std::env::var("TROVE_TEST_S3S_ENDPOINT").unwrap_or_default();
    let Some(target) = endpoint
        .strip_prefix("http://")
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
    else {
        return out + "(no relay rows: the endpoint is not http://IP:PORT)\n";
    };
    let relay = delay_relay(target, Duration::from_micros(rtt * 500)).await;
    let relayed = format!("http://{relay}");
    let (Ok(rs3), Some(rnative)) = (
        host.open(&dsn.replace(&endpoint, &relayed)).await,
        s3_operator_at(&relayed),
    ) else {
        return out + "(no relay rows: could not open the relayed endpoint)\n";
    };
    let name = format!("s3, {rtt} ms round trip,");
    for clients in [1, 20] {
        cpu.push(concurrent_puts(rows, &name, &rs3, &rnative, "OpenDAL s3", clients, server).await);
    }
    // A put of unknown size through the same round trip: parts in flight
    // are what hides the latency.
    let block = Bytes::from(vec![0x5au8; MIB as usize]);
    let relayed_dsn = dsn.replace(&endpoint, &relayed);
    if let Ok(sequential) = host
        .open(&format!("{relayed_dsn}&upload_concurrency=1"))
        .await
    {
        let label = format!("1 part ({rtt} ms round trip)");
        unknown_size_put(rows, &sequential, &label, 64 * MIB, &rnative, &block).await;
    }
    let label = format!("4 parts ({rtt} ms round trip)");
    unknown_size_put(rows, &rs3, &label, 64 * MIB, &rnative, &block).await;
    scale(
        rows,
        &format!("{rtt} ms round trip"),
        [cpu.remove(0), cpu.remove(0)],
    );
    out
}

fn print_report(rows: &[Row]) -> String {
    let mut s = String::new();
    s += "| workload | trove-host | native | unit | ratio | baseline | peak RSS trove / native (MiB) |\n";
    s += "|---|---:|---:|---|---:|---|---|\n";
    for r in rows {
        let ratio = if r.unit == "ms" {
            r.native / r.trove
        } else {
            r.trove / r.native
        };
        s += &format!(
            "| {} | {:.1} | {:.1} | {} | {:.2}× | {} | {} / {} |\n",
            r.workload, r.trove, r.native, r.unit, ratio, r.baseline, r.trove_rss, r.native_rss
        );
    }
    s
}

/// Where a small mem operation's time goes: microseconds per call of the
/// cheapest calls, printed under the table (`--only calls`).
async fn call_floor(d: &Driver) -> String {
    let n = 50_000u32;
    let _ = d.create_bucket("floor").await;
    d.put_bytes("floor", "k", vec![1u8; 1024], PutOptions::default())
        .await
        .unwrap();
    let mut out = String::from("\nPer-call cost, mem driver (µs per call, 50,000 calls each):\n\n");
    macro_rules! time {
        ($what:expr, $call:expr) => {{
            let t = Instant::now();
            for _ in 0..n {
                $call.await.unwrap();
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
            out.push_str(&format!("- {}: {us:.2}\n", $what));
        }};
    }
    time!(
        "`name()` (a bare call: lease, deadline, one guest call)",
        d.name()
    );
    time!(
        "`head` (plus a map lookup and an object-info back)",
        d.head("floor", "k")
    );
    time!(
        "`put_bytes` 1 KiB (one `put-bytes` call)",
        d.put_bytes("floor", "k", vec![1u8; 1024], PutOptions::default())
    );
    time!(
        "`get_bytes` 1 KiB (one `get` answering `body.bytes`)",
        d.get_bytes("floor", "k", GetOptions::default())
    );
    let mut i = 0u32;
    time!(
        "`put_bytes` 1 KiB, a new key each time (the store grows)",
        {
            i += 1;
            d.put_bytes(
                "floor",
                &format!("new-{i}"),
                vec![1u8; 1024],
                PutOptions::default(),
            )
        }
    );
    let block = Bytes::from(vec![0x5au8; 1024]);
    time!("`put` 1 KiB from a reader, same key", {
        let opts = PutOptions {
            size: Some(1024),
            ..Default::default()
        };
        d.put("floor", "k", Pattern::new(&block, 1024), opts)
    });
    out
}

/// `--only a,b` (or TROVE_BENCH_ONLY): run only these groups of rows:
/// floors, mem, file, concurrency, s3, ping, calls.
fn wanted(group: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var("TROVE_BENCH_ONLY").ok());
    only.is_none_or(|o| o.split(',').any(|g| g.trim() == group))
}

async fn run(quick: bool) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        memory_bytes: 3 * GIB as usize,
        call_timeout: Duration::from_secs(120),
        // One instance per concurrent client in the 20-client rows (the
        // default pool is 16).
        pool_size: 32,
        ..Limits::default()
    };
    // The s3 rows use the keys of scripts/servers/s3s.sh, passed as the CLI's
    // --credentials-env would.
    let credentials = trove_host::Credentials::from_env_spec(
        "TROVE_TEST_S3S_ACCESS_KEY,TROVE_TEST_S3S_SECRET_KEY",
    )
    .ok();
    // TROVE_BENCH_DRIVERS=mem=old-mem.wasm,file=old-file.wasm measures other
    // builds of the drivers under the same schemes (a before/after in one
    // binary); TROVE_BENCH_ALLOW=file:dir allows what they declare.
    let mut registry = trove_host::Registry::with_builtins();
    for spec in env_list("TROVE_BENCH_DRIVERS") {
        registry
            .register_spec(&spec)
            .expect("TROVE_BENCH_DRIVERS: SCHEME=PATH.wasm");
    }
    for spec in env_list("TROVE_BENCH_ALLOW") {
        registry
            .allow_spec(&spec)
            .expect("TROVE_BENCH_ALLOW: SCHEME:KIND");
    }
    let host = Host::new(HostConfig {
        limits,
        cache_dir: Some(dir.path().join("cache")),
        credentials,
        registry,
        ..Default::default()
    })
    .unwrap();
    let block = Bytes::from(vec![0x5au8; MIB as usize]);
    let mut rows = Vec::new();
    if wanted("floors") {
        floors(&mut rows, dir.path(), quick);
    }
    let sizes: &[u64] = if quick {
        &[KIB, MIB, 64 * MIB]
    } else {
        &[KIB, MIB, 64 * MIB, GIB]
    };

    let mem = host.open("mem://").await.unwrap();
    let native_mem = opendal::Operator::new(opendal::services::Memory::default()).unwrap();
    if wanted("mem") {
        for &s in sizes {
            put_get(
                &mut rows,
                "mem",
                &mem,
                &native_mem,
                "OpenDAL memory",
                s,
                &block,
                rounds(s),
            )
            .await;
        }
        in_memory_1k(&mut rows, &mem, &native_mem).await;
        metadata_ops(&mut rows, "mem", &mem, &native_mem, "OpenDAL memory").await;
    }

    let froot = dir.path().join("trove-fs");
    let nroot = dir.path().join("opendal-fs");
    std::fs::create_dir_all(&nroot).unwrap();
    let file = host
        .open(&format!("file://{}", froot.display()))
        .await
        .unwrap();
    let native_fs =
        opendal::Operator::new(opendal::services::Fs::default().root(nroot.to_str().unwrap()))
            .unwrap();
    if wanted("file") {
        for &s in sizes {
            put_get(
                &mut rows,
                "file",
                &file,
                &native_fs,
                "OpenDAL fs",
                s,
                &block,
                rounds(s),
            )
            .await;
        }
        metadata_ops(&mut rows, "file", &file, &native_fs, "OpenDAL fs").await;
    }
    for clients in [1, 4, 20].into_iter().filter(|_| wanted("concurrency")) {
        concurrent_puts(
            &mut rows,
            "file",
            &file,
            &native_fs,
            "OpenDAL fs",
            clients,
            None,
        )
        .await;
        concurrent_puts(
            &mut rows,
            "mem",
            &mem,
            &native_mem,
            "OpenDAL memory",
            clients,
            None,
        )
        .await;
    }

    match s3_operator().filter(|_| wanted("s3")) {
        Some((dsn, native_s3)) => {
            let s3 = host.open(&dsn).await.unwrap();
            let _ = s3.create_bucket("bench-native").await; // OpenDAL cannot create buckets
            put_get(
                &mut rows,
                "s3",
                &s3,
                &native_s3,
                "OpenDAL s3",
                64 * MIB,
                &block,
                3,
            )
            .await;
            // Parts one at a time (as before `send-async`), then 4 in flight.
            let sequential = host
                .open(&format!("{dsn}&upload_concurrency=1"))
                .await
                .unwrap();
            let size = 256 * MIB;
            unknown_size_put(&mut rows, &sequential, "1 part", size, &native_s3, &block).await;
            unknown_size_put(&mut rows, &s3, "4 parts", size, &native_s3, &block).await;
            let notes = s3_scaling(&mut rows, &host, &dsn, &s3, &native_s3).await;
            println!("{notes}");
        }
        None => {
            println!("(no S3 rows: start scripts/servers/s3s.sh and source its .env to add them)")
        }
    }
    if wanted("objstore") {
        objstore::file(&mut rows, &host, dir.path()).await;
        match std::env::var("TROVE_TEST_S3S_DSN") {
            Ok(dsn) => objstore::s3(&mut rows, &host, &dsn).await,
            Err(_) => println!(
                "(no object_store s3 rows: start scripts/servers/s3s.sh and source its .env)"
            ),
        }
    }
    if wanted("ping") {
        ping_start(&mut rows, dir.path());
    }
    if wanted("calls") {
        let floor = call_floor(&mem).await;
        println!("{floor}");
    }
    rows
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var_os("TROVE_BENCH_QUICK").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(run(quick));
    let report = print_report(&rows);
    println!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-report.md");
    let _ = std::fs::write(&out, &report);
    println!("(written to {})", out.display());
}

/// The comma-separated items of an environment variable (none when unset).
fn env_list(name: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_string())
        .collect()
}
