//! A fault-injecting TCP relay for tests (issue 17). It sits between a client
//! (the host) and a real server (s3s-fs, moto, fake-gcs-server, Azurite,
//! sshd) on loopback, and misbehaves as scripted, one connection at a time:
//! each accepted connection takes the next [`Fault`] from the script, and
//! once the script is used up, the standing fault ([`Relay::always`]; at
//! first [`Fault::Pass`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use trove_fault_relay::{Dir, Fault, Relay};
//! let relay = Relay::start("127.0.0.1:9000".parse().unwrap()).await?;
//! relay.script([Fault::ResetAfter { dir: Dir::Up, bytes: 4096 }]);
//! // point the client at relay.addr() instead of 127.0.0.1:9000
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The relay's receive buffer on the client side.
const RECV_BUFFER: usize = 64 << 10;
/// The segment size the relay announces to clients (Ethernet's).
const MSS: u32 = 1460;

/// A loopback listener whose connections behave like a network's, not
/// loopback's: a 64 KiB segment and a large window would let a client
/// park megabytes in kernel buffers, so that a throttled or stalled relay
/// looks, to the client, as if every byte had left at once. With an
/// Ethernet segment size and a small receive buffer (both inherited by
/// accepted connections) the client's send buffer stays small.
fn listen() -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    s.set_recv_buffer_size(RECV_BUFFER)?;
    s.set_tcp_mss(MSS)?;
    s.set_reuse_address(true)?;
    s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    s.listen(1024)?;
    s.set_nonblocking(true)?;
    TcpListener::from_std(s.into())
}

/// Which way the bytes flow: `Up` from the client to the server (a request,
/// an upload), `Down` from the server to the client (a response, a download).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
}

/// What one connection does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Relay both ways untouched.
    Pass,
    /// After `bytes` in `dir`, reset both sides (RST, not a clean close).
    ResetAfter { dir: Dir, bytes: u64 },
    /// After `bytes` in `dir`, close both sides cleanly (FIN): a response or
    /// an upload cut short of its Content-Length.
    CloseAfter { dir: Dir, bytes: u64 },
    /// After `bytes` in `dir`, stop moving that way for `stall`, then go on.
    StallAfter {
        dir: Dir,
        bytes: u64,
        stall: Duration,
    },
    /// Move `dir` at most `per_sec` bytes a second.
    Throttle { dir: Dir, per_sec: u64 },
    /// Reset the connection as soon as it is accepted (the server is down).
    Refuse,
    /// Read the request head and answer it with `status` (and `Retry-After`
    /// when given) without reaching the server, then close the connection.
    Answer {
        status: u16,
        retry_after: Option<u32>,
    },
}

struct Plan {
    script: VecDeque<Fault>,
    refuse_until: Option<Instant>,
    standing: Fault,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            script: VecDeque::new(),
            refuse_until: None,
            standing: Fault::Pass,
        }
    }
}

/// A running relay; stops when dropped.
pub struct Relay {
    addr: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    accepted: Arc<AtomicU64>,
    /// Bumped to reset every open connection (the server died).
    kill: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Relay {
    /// A relay on a free loopback port in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Relay> {
        let listener = listen()?;
        let addr = listener.local_addr()?;
        let plan = Arc::new(Mutex::new(Plan::default()));
        let accepted = Arc::new(AtomicU64::new(0));
        let (p, a) = (plan.clone(), accepted.clone());
        let (kill, killed) = tokio::sync::watch::channel(0u64);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::Relaxed);
                let fault = {
                    let mut p = p.lock().unwrap();
                    match p.refuse_until {
                        Some(t) if Instant::now() < t => Fault::Refuse,
                        _ => p.script.pop_front().unwrap_or_else(|| p.standing.clone()),
                    }
                };
                tokio::spawn(connection(client, upstream, fault, killed.clone()));
            }
        });
        Ok(Relay {
            addr,
            plan,
            accepted,
            kill,
            task,
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults of the next connections, in order (replacing what was left).
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.plan.lock().unwrap().script = faults.into_iter().collect();
    }

    /// The fault of every connection once the script is used up (a server
    /// that keeps failing); [`Fault::Pass`] undoes it.
    pub fn always(&self, fault: Fault) {
        self.plan.lock().unwrap().standing = fault;
    }

    /// Refuse every connection for `d` from now (the server is down for `d`).
    pub fn refuse_for(&self, d: Duration) {
        self.plan.lock().unwrap().refuse_until = Some(Instant::now() + d);
    }

    /// The server dies for `d`: every open connection is reset now, and new
    /// ones are refused until `d` has passed.
    pub fn kill_for(&self, d: Duration) {
        self.refuse_for(d);
        self.kill.send_modify(|n| *n += 1);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Faults still waiting for a connection.
    pub fn pending(&self) -> usize {
        self.plan.lock().unwrap().script.len()
    }
}

fn reset(s: &TcpStream) {
    // SO_LINGER 0: closing sends RST instead of FIN. (Deprecated because a
    // non-zero linger blocks the thread on drop; a zero one does not.)
    #[allow(deprecated)]
    let _ = s.set_linger(Some(Duration::ZERO));
}

async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    mut killed: tokio::sync::watch::Receiver<u64>,
) {
    killed.mark_unchanged();
    let _ = client.set_nodelay(true);
    match fault {
        Fault::Refuse => {
            reset(&client);
            return;
        }
        Fault::Answer {
            status,
            retry_after,
        } => {
            answer(client, status, retry_after).await;
            return;
        }
        _ => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        reset(&client);
        return;
    };
    let _ = server.set_nodelay(true);
    let mut client = client;
    let rule = |d: Dir| match &fault {
        Fault::ResetAfter { dir, bytes } if *dir == d => Rule::Reset(*bytes),
        Fault::CloseAfter { dir, bytes } if *dir == d => Rule::Close(*bytes),
        Fault::StallAfter { dir, bytes, stall } if *dir == d => Rule::Stall(*bytes, *stall),
        Fault::Throttle { dir, per_sec } if *dir == d => Rule::Throttle(*per_sec),
        _ => Rule::Pass,
    };
    let ending = {
        let (mut cr, mut cw) = client.split();
        let (mut sr, mut sw) = server.split();
        tokio::select! {
            e = pump(&mut cr, &mut sw, rule(Dir::Up)) => e,
            e = pump(&mut sr, &mut cw, rule(Dir::Down)) => e,
            _ = killed.changed() => Ending::Reset,
        }
    };
    match ending {
        // Both sides see a reset (RST), as when a middlebox drops the flow.
        Ending::Reset => {
            reset(&client);
            reset(&server);
        }
        // Both sides see a clean end of stream mid-transfer.
        Ending::Close => {
            let _ = client.shutdown().await;
            let _ = server.shutdown().await;
        }
        Ending::Eof => {}
    }
}

#[derive(Clone, Copy)]
enum Rule {
    Pass,
    Reset(u64),
    Close(u64),
    Stall(u64, Duration),
    Throttle(u64),
}

/// How a connection ended.
enum Ending {
    /// One side closed or failed; the relay closes the other.
    Eof,
    Reset,
    Close,
}

/// Copies `from` to `to` under `rule` until either side ends; how it ended.
async fn pump(
    from: &mut tokio::net::tcp::ReadHalf<'_>,
    to: &mut tokio::net::tcp::WriteHalf<'_>,
    rule: Rule,
) -> Ending {
    let mut buf = vec![0u8; 64 << 10];
    let mut moved = 0u64;
    let mut stalled = false;
    let t0 = Instant::now();
    loop {
        let mut want = buf.len();
        match rule {
            Rule::Reset(n) if moved >= n => return Ending::Reset,
            Rule::Close(n) if moved >= n => return Ending::Close,
            Rule::Reset(n) | Rule::Close(n) => want = want.min((n - moved) as usize),
            Rule::Stall(n, _) if !stalled => want = want.min((n - moved).max(1) as usize),
            Rule::Throttle(per_sec) => want = want.min((per_sec / 10).max(1) as usize),
            _ => {}
        }
        let got = match from.read(&mut buf[..want]).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return Ending::Eof;
            }
            Ok(n) => n,
        };
        if to.write_all(&buf[..got]).await.is_err() {
            return Ending::Eof;
        }
        moved += got as u64;
        match rule {
            Rule::Stall(n, d) if !stalled && moved >= n => {
                stalled = true;
                tokio::time::sleep(d).await;
            }
            Rule::Throttle(per_sec) => {
                let due = Duration::from_secs_f64(moved as f64 / per_sec as f64);
                if let Some(wait) = due.checked_sub(t0.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
            _ => {}
        }
    }
}

async fn answer(mut client: TcpStream, status: u16, retry_after: Option<u32>) {
    // Read the request head (to its blank line), then answer and close.
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 << 10 {
        match client.read(&mut byte).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
    }
    let reason = match status {
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let body = match status {
        503 => "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
        _ => "<Error><Code>InternalError</Code><Message>injected by the fault relay</Message></Error>",
    };
    let retry = retry_after
        .map(|s| format!("Retry-After: {s}\r\n"))
        .unwrap_or_default();
    let msg = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n{retry}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(msg.as_bytes()).await;
    let _ = client.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that answers every connection with `len` bytes after
    /// reading 4 bytes, and counts what it received.
    async fn upstream(len: usize) -> (SocketAddr, Arc<AtomicU64>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let got = Arc::new(AtomicU64::new(0));
        let g = got.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let g = g.clone();
                tokio::spawn(async move {
                    let mut b = [0u8; 4];
                    if s.read_exact(&mut b).await.is_ok() {
                        g.fetch_add(4, Ordering::Relaxed);
                        let _ = s.write_all(&vec![7u8; len]).await;
                        let _ = s.shutdown().await;
                    }
                });
            }
        });
        (addr, got)
    }

    async fn fetch(relay: &Relay) -> std::io::Result<Vec<u8>> {
        let mut s = TcpStream::connect(relay.addr()).await?;
        s.write_all(b"ping").await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn faults_in_order_then_pass() {
        let (up, _) = upstream(100_000).await;
        let relay = Relay::start(up).await.unwrap();
        relay.script([
            Fault::CloseAfter {
                dir: Dir::Down,
                bytes: 1000,
            },
            Fault::ResetAfter {
                dir: Dir::Down,
                bytes: 5000,
            },
            Fault::Refuse,
        ]);
        assert_eq!(fetch(&relay).await.unwrap().len(), 1000);
        // a reset: the reader sees an error or a short read, never all of it
        match fetch(&relay).await {
            Ok(v) => assert!(v.len() <= 5000),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        }
        assert!(fetch(&relay).await.map_or(true, |v| v.is_empty()));
        assert_eq!(fetch(&relay).await.unwrap().len(), 100_000);
        assert_eq!((relay.accepted(), relay.pending()), (4, 0));
        relay.always(Fault::CloseAfter {
            dir: Dir::Down,
            bytes: 10,
        });
        assert_eq!(fetch(&relay).await.unwrap().len(), 10);
        assert_eq!(fetch(&relay).await.unwrap().len(), 10);
        relay.always(Fault::Pass);
        assert_eq!(fetch(&relay).await.unwrap().len(), 100_000);
    }

    #[tokio::test]
    async fn throttle_and_stall_take_their_time() {
        let (up, _) = upstream(20_000).await;
        let relay = Relay::start(up).await.unwrap();
        relay.script([
            Fault::Throttle {
                dir: Dir::Down,
                per_sec: 50_000,
            },
            Fault::StallAfter {
                dir: Dir::Down,
                bytes: 10,
                stall: Duration::from_millis(300),
            },
        ]);
        let t = Instant::now();
        assert_eq!(fetch(&relay).await.unwrap().len(), 20_000);
        assert!(
            t.elapsed() >= Duration::from_millis(350),
            "{:?}",
            t.elapsed()
        );
        let t = Instant::now();
        assert_eq!(fetch(&relay).await.unwrap().len(), 20_000);
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }

    #[tokio::test]
    async fn answers_and_refusals_never_reach_the_server() {
        let (up, got) = upstream(10).await;
        let relay = Relay::start(up).await.unwrap();
        relay.script([Fault::Answer {
            status: 503,
            retry_after: Some(2),
        }]);
        let mut s = TcpStream::connect(relay.addr()).await.unwrap();
        s.write_all(b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 503 "), "{out}");
        assert!(out.contains("Retry-After: 2\r\n"), "{out}");
        relay.refuse_for(Duration::from_millis(200));
        assert!(fetch(&relay).await.map_or(true, |v| v.is_empty()));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(fetch(&relay).await.unwrap().len(), 10);
        assert_eq!(
            got.load(Ordering::Relaxed),
            4,
            "only the last connection reached the server"
        );
    }

    #[tokio::test]
    async fn a_killed_server_resets_open_connections_then_comes_back() {
        let (up, _) = upstream(10).await;
        let relay = Relay::start(up).await.unwrap();
        // a connection that stays open: the server waits for 4 bytes
        let mut open = TcpStream::connect(relay.addr()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        relay.kill_for(Duration::from_millis(200));
        let mut b = [0u8; 1];
        let r = tokio::time::timeout(Duration::from_secs(2), open.read(&mut b)).await;
        assert!(matches!(r, Ok(Err(_)) | Ok(Ok(0))), "{r:?}");
        assert!(fetch(&relay).await.map_or(true, |v| v.is_empty()));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(fetch(&relay).await.unwrap().len(), 10);
    }
}
