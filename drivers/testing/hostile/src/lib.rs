//! A driver that misbehaves on purpose, to prove the sandbox. Used by tests
//! only (host/tests/sandbox.rs; the listing attacks also by cli/tests/cli.rs
//! and gateway/tests/service.rs); never shipped.
//!
//! What it does is chosen by the DSN's host (for `open`, `list-buckets` and
//! the `*-list` modes of `list`) or by the bucket name of the call:
//!
//! | where                          | what it does                                              | the host must answer            |
//! |--------------------------------|-----------------------------------------------------------|---------------------------------|
//! | DSN `hostile://spin-open`      | `open` loops forever on the CPU                           | timeout (epoch), open fails     |
//! | DSN `hostile://huge-buckets`   | `list-buckets` returns 1.5 million entries               | driver-crashed (memory/hostcall)|
//! | DSN `hostile://endless-list` (also `stuck-list`, `empty-cursor-list`) | every `list`, whatever the bucket, behaves as `list("endless")` (`"stuck"`, `"empty-cursor"`) below | clients stop (conformance: bounded) |
//! | `head("spin", _)`              | loops forever on the CPU                                  | timeout (epoch)                 |
//! | `head("sleep", _)`             | blocks in a host call (a clock wait) forever              | timeout (wall clock)            |
//! | `head("panic", _)`             | panics                                                    | driver-crashed                  |
//! | `head("oom", _)`               | grows memory without bound                                | driver-crashed (memory limit)   |
//! | `head("stack", _)`             | recurses without bound                                    | driver-crashed                  |
//! | `head("huge-string", "N")`     | returns a key of N MiB                                    | driver-crashed (memory/hostcall)|
//! | `head("handles", _)`           | creates a million reader resources and keeps them         | driver-crashed (handle limit)   |
//! | `head("streams", _)`           | (file DSN) opens a file a million times and keeps it open | driver-crashed (resource limit) |
//! | `head("env", _)`               | reports what environment, args and files it can see       | (nothing: all zero)             |
//! | `head("oversized-write", _)`   | (file DSN) writes 2 MiB to a file's write stream in one call | driver-crashed, nothing copied |
//! | `head("read-flood", _)`        | (file DSN) opens 5,000 read streams on a 2 MiB file, reads 64 KiB of each (each would read 1 MiB ahead) and keeps them all | ok, and the host holds at most the instance's 4 MiB read budget read ahead: streams past it read on demand only |
//! | `head("write-flood", _)`       | (file DSN) opens 5,000 write streams on one file and writes 1 MiB to each without asking `check-write`, keeping them all | driver-crashed once the instance's 4 MiB in flight are spent (or, should every write land first, ok or timeout): the host never holds more |
//! | `list("huge-list", prefix N)`  | returns N objects                                         | driver-crashed (memory/hostcall)|
//! | `list("alias", prefix N)`      | N objects whose keys all alias one 1 MiB string           | driver-crashed (hostcall limit) |
//! | `get("spin", _)`               | loops forever in `get`                                    | timeout                         |
//! | `get("endless", _)`            | announces 4 MiB, then its reader never ends               | internal: more than announced   |
//! | `get("panic-mid", _)`          | the reader panics after 3 chunks                          | driver-crashed, mid-stream      |
//! | `get("spin-mid", _)`           | the reader loops forever after 2 chunks                   | timeout, mid-stream             |
//! | `get("short", _)`              | announces 4 MiB, ends after 1 MiB                         | internal: body ended early      |
//! | `get("long-host", _)`          | (file DSN) announces 10 bytes, hands back a 4 MiB file stream (no limit) | internal: more than announced |
//! | `get("greedy", _)`             | its reader answers 8 MiB to every `read(max)`             | internal: more than `max`       |
//! | `head("symlink", _)`           | (file DSN) plants `l -> ../outside/secret`, `l-dir -> ../outside` with `symlink-at`; reports what the host answered | refused: no link is made |
//! | `head("log-flood", "N")`       | calls the `log` import N times (default 100,000)          | the host drops past its budget  |
//! | `head("escape", _)`            | fails with a message full of ESC, BEL and C1 bytes        | the bytes come out escaped      |
//! | `head("escape-panic", _)`      | writes terminal escapes to stderr, then panics            | the stderr tail comes out escaped|
//! | `list("endless", _)`           | every page: 1,000 keys of 16 KiB and a new cursor, forever | clients stream or stop; bounded |
//! | `list("stuck", _)`             | every page: the key `a` and the same cursor `again`       | clients stop (repeated cursor)  |
//! | `list("empty-cursor", _)`      | every page: no entries, and a new cursor                  | clients stop (empty page)       |
//! | anything else                  | answers like an empty store                               | ok                              |

wit_bindgen::generate!({
    path: "../../../wit",
    world: "trove:driver/file-driver@0.2.0",
    generate_all,
});

use exports::trove::driver::core::{
    Body, Guest, GuestReader, GuestWriter, HostStream, Reader, Writer,
};
use std::cell::{Cell, RefCell};
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};

use wasi::filesystem::types::{Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags};

struct Hostile;
export!(Hostile);

const MIB: usize = 1 << 20;

thread_local! {
    /// The DSN's host, set by `open`: selects the behaviour of `list-buckets`.
    static MODE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What a reader does, chunk by chunk.
#[derive(Clone, Copy)]
enum ReadMode {
    /// Ends at once.
    Empty,
    /// 1 MiB chunks, forever.
    Endless,
    /// Panics after this many chunks.
    PanicAfter(u32),
    /// Spins forever after this many chunks.
    SpinAfter(u32),
    /// This many chunks, then the end.
    Chunks(u32),
    /// 8 MiB per read, whatever `max` asks for.
    Greedy,
}

pub struct HostileReader {
    mode: ReadMode,
    sent: Cell<u32>,
}

impl GuestReader for HostileReader {
    fn read(&self, max: u64) -> Result<Vec<u8>, Error> {
        let n = self.sent.get();
        let chunk = || vec![7u8; (max as usize).min(MIB)];
        let out = match self.mode {
            ReadMode::Empty => Vec::new(),
            ReadMode::Endless => chunk(),
            ReadMode::PanicAfter(k) if n >= k => panic!("hostile reader panics mid-stream"),
            ReadMode::SpinAfter(k) if n >= k => spin(),
            ReadMode::Chunks(k) if n >= k => Vec::new(),
            ReadMode::Greedy => vec![7u8; 8 * MIB],
            _ => chunk(),
        };
        self.sent.set(n + 1);
        Ok(out)
    }
}

fn reader(mode: ReadMode) -> Body {
    Body::Guest(Reader::new(HostileReader {
        mode,
        sent: Cell::new(0),
    }))
}

pub struct NoWriter;
impl GuestWriter for NoWriter {
    fn write(&self, _chunk: Vec<u8>) -> Result<(), Error> {
        Ok(())
    }
    fn finish(&self) -> Result<ObjectInfo, Error> {
        Err(Error::Unsupported("hostile driver stores nothing".into()))
    }
    fn abort(&self) {}
}

fn info(key: String, size: u64) -> ObjectInfo {
    ObjectInfo {
        key,
        size,
        etag: "0".into(),
        content_type: None,
        headers: trove::driver::types::ContentHeaders {
            cache_control: None,
            content_disposition: None,
            content_encoding: None,
            content_language: None,
            expires: None,
        },
        last_modified: None,
        metadata: Vec::new(),
        version_id: None,
        storage_class: None,
    }
}

/// The one directory the host preopened (file DSNs only).
fn preopen() -> Result<Descriptor, Error> {
    wasi::filesystem::preopens::get_directories()
        .into_iter()
        .next()
        .map(|(d, _)| d)
        .ok_or_else(|| Error::Internal("no preopened directory".into()))
}

/// A file `flood` under the preopened directory, open for writing.
fn flood_file() -> Result<Descriptor, Error> {
    preopen()?
        .open_at(
            PathFlags::empty(),
            "flood",
            OpenFlags::CREATE,
            DescriptorFlags::READ | DescriptorFlags::WRITE,
        )
        .map_err(|e| Error::Internal(format!("{e:?}")))
}

fn spin() -> ! {
    let mut x: u64 = 1;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64, pad: &mut [u8; 256]) -> u64 {
    pad[(depth % 256) as usize] = depth as u8;
    let mut next = [0u8; 256];
    next.copy_from_slice(pad);
    recurse(depth + 1, &mut next) + next[3] as u64
}

/// A count passed in a string (a key or a prefix); `default` when absent.
fn count(s: Option<&str>, default: usize) -> usize {
    s.and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// `n` objects whose keys all point at the same 1 MiB of guest memory: the
/// guest spends 1 MiB, a host that lifted them all would spend `n` MiB.
fn aliased_objects(n: usize) -> Vec<ObjectInfo> {
    let big = std::mem::ManuallyDrop::new(vec![b'a'; MIB]);
    let ptr = big.as_ptr() as *mut u8;
    (0..n)
        .map(|_| {
            // SAFETY (as far as a hostile driver cares): the strings are
            // never dropped in the guest; the host refuses the result before
            // the post-return that would free them.
            let key = unsafe { String::from_raw_parts(ptr, MIB, MIB) };
            info(key, 0)
        })
        .collect()
}

impl Guest for Hostile {
    type Reader = HostileReader;
    type Writer = NoWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "hostile".into(),
            version: "0".into(),
            stateful: false,
        }
    }
    fn name() -> String {
        "hostile".into()
    }
    fn open(dsn: Dsn) -> Result<(), Error> {
        if dsn.host == "spin-open" {
            spin();
        }
        MODE.with(|m| *m.borrow_mut() = dsn.host);
        Ok(())
    }
    fn close() -> Result<(), Error> {
        Ok(())
    }
    fn ping() -> Result<(), Error> {
        Ok(())
    }
    fn put(_b: String, _k: String, _o: PutOptions) -> Result<Writer, Error> {
        Ok(Writer::new(NoWriter))
    }
    fn get(bucket: String, key: String, _o: GetOptions) -> Result<(ObjectInfo, Body), Error> {
        let announced = 4 * MIB as u64;
        Ok(match bucket.as_str() {
            "spin" => spin(),
            "endless" => (info(key, announced), reader(ReadMode::Endless)),
            "panic-mid" => (info(key, 16 * MIB as u64), reader(ReadMode::PanicAfter(3))),
            "spin-mid" => (info(key, 16 * MIB as u64), reader(ReadMode::SpinAfter(2))),
            "short" => (info(key, announced), reader(ReadMode::Chunks(1))),
            "greedy" => (info(key, 64 * MIB as u64), reader(ReadMode::Greedy)),
            "long-host" => {
                std::fs::write("/long", vec![9u8; 4 * MIB])
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let fd = preopen()?
                    .open_at(
                        PathFlags::empty(),
                        "long",
                        OpenFlags::empty(),
                        DescriptorFlags::READ,
                    )
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                let data = fd
                    .read_via_stream(0)
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                (info(key, 10), Body::Host(HostStream { data, limit: None }))
            }
            _ => (info(key, 0), reader(ReadMode::Empty)),
        })
    }
    fn head(bucket: String, key: String) -> Result<ObjectInfo, Error> {
        match bucket.as_str() {
            "spin" => spin(),
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(100_000));
                Ok(info(key, 0))
            }
            "panic" => panic!("hostile driver panics on purpose"),
            "symlink" => {
                let root = preopen()?;
                let file = root.symlink_at("../outside/secret", "l");
                let dir = root.symlink_at("../outside", "l-dir");
                let show = |r: Result<(), ErrorCode>| match r {
                    Ok(()) => "made".to_string(),
                    Err(e) => format!("{e:?}"),
                };
                Ok(info(format!("file={} dir={}", show(file), show(dir)), 0))
            }
            "log-flood" => {
                for i in 0..count(Some(&key), 100_000) {
                    trove::driver::log::log(
                        trove::driver::log::Level::Info,
                        &format!("hostile log line {i}"),
                    );
                }
                Ok(info(key, 0))
            }
            "escape" => Err(Error::Internal(
                "\u{1b}]0;pwned\u{7}\u{1b}[2Jcleared\u{9b}31mred\u{1b}[0m".into(),
            )),
            "escape-panic" => {
                eprintln!("\u{1b}]0;pwned\u{7}\u{1b}[2J");
                panic!("hostile \u{1b}[31mpanic\u{9b}0m");
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "stack" => {
                let mut pad = [0u8; 256];
                Ok(info(key, recurse(0, &mut pad)))
            }
            "huge-string" => {
                let mib = count(Some(&key), 100);
                Ok(info("k".repeat(mib * MIB), 0))
            }
            "handles" => {
                for _ in 0..1_000_000 {
                    let r = Reader::new(HostileReader {
                        mode: ReadMode::Empty,
                        sent: Cell::new(0),
                    });
                    std::mem::forget(r);
                }
                Ok(info(key, 0))
            }
            "streams" => {
                std::fs::write("/f", b"x").map_err(|e| Error::Internal(e.to_string()))?;
                for _ in 0..1_000_000 {
                    let f =
                        std::fs::File::open("/f").map_err(|e| Error::Internal(e.to_string()))?;
                    std::mem::forget(f);
                }
                Ok(info(key, 0))
            }
            "oversized-write" => {
                let out = flood_file()?
                    .write_via_stream(0)
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                out.write(&vec![1u8; 2 * MIB])
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                Ok(info(key, 0))
            }
            "read-flood" => {
                let file = flood_file()?;
                let out = file
                    .write_via_stream(0)
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                out.blocking_write_zeroes_and_flush(0)
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                drop(out);
                file.set_size(2 * MIB as u64)
                    .map_err(|e| Error::Internal(format!("{e:?}")))?;
                for _ in 0..5_000 {
                    let s = file
                        .read_via_stream(0)
                        .map_err(|e| Error::Internal(format!("{e:?}")))?;
                    s.blocking_read(64 << 10)
                        .map_err(|e| Error::Internal(format!("{e:?}")))?;
                    std::mem::forget(s);
                }
                Ok(info(key, 0))
            }
            "write-flood" => {
                let file = flood_file()?;
                let chunk = vec![2u8; MIB];
                for _ in 0..5_000 {
                    let out = file
                        .write_via_stream(0)
                        .map_err(|e| Error::Internal(format!("{e:?}")))?;
                    out.write(&chunk)
                        .map_err(|e| Error::Internal(format!("{e:?}")))?;
                    std::mem::forget(out);
                }
                Ok(info(key, 0))
            }
            "env" => {
                let vars = std::env::vars().count() as u64;
                let args = std::env::args().count() as u64;
                let root = std::fs::read_dir("/").is_ok() as u64;
                Ok(info(format!("vars={vars} args={args} root={root}"), 0))
            }
            _ => Ok(info(key, 0)),
        }
    }
    fn delete(_b: String, _k: String) -> Result<(), Error> {
        Ok(())
    }
    fn list(bucket: String, o: ListOptions) -> Result<ListPage, Error> {
        // `hostile://endless-list` and the like: every bucket lists that way.
        let mode = MODE.with(|m| m.borrow().clone());
        let behaviour = mode
            .strip_suffix("-list")
            .filter(|b| matches!(*b, "endless" | "stuck" | "empty-cursor"))
            .unwrap_or(bucket.as_str());
        let objects = match behaviour {
            "huge-list" => (0..count(o.prefix.as_deref(), 1_000_000))
                .map(|i| info(format!("key-{i:09}"), 0))
                .collect(),
            "alias" => aliased_objects(count(o.prefix.as_deref(), 100_000)),
            "endless" => {
                // Keys always increase, so the listing looks legitimate.
                let page: u64 = count(o.cursor.as_deref(), 0) as u64;
                let pad = "x".repeat(16 << 10);
                let objects = (0..1000u64)
                    .map(|i| info(format!("{:012}-{pad}", page * 1000 + i), 0))
                    .collect();
                return Ok(ListPage {
                    objects,
                    common_prefixes: Vec::new(),
                    next_cursor: Some((page + 1).to_string()),
                });
            }
            "stuck" => {
                return Ok(ListPage {
                    objects: vec![info("a".into(), 0)],
                    common_prefixes: Vec::new(),
                    next_cursor: Some("again".into()),
                })
            }
            "empty-cursor" => {
                let page = count(o.cursor.as_deref(), 0);
                return Ok(ListPage {
                    objects: Vec::new(),
                    common_prefixes: Vec::new(),
                    next_cursor: Some((page + 1).to_string()),
                });
            }
            _ => Vec::new(),
        };
        Ok(ListPage {
            objects,
            common_prefixes: Vec::new(),
            next_cursor: None,
        })
    }
    fn copy(_sb: String, _sk: String, _db: String, dk: String) -> Result<ObjectInfo, Error> {
        Ok(info(dk, 0))
    }
    fn create_bucket(_b: String) -> Result<(), Error> {
        Ok(())
    }
    fn delete_bucket(_b: String) -> Result<(), Error> {
        Ok(())
    }
    fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
        if MODE.with(|m| m.borrow().as_str() == "huge-buckets") {
            return Ok((0..1_500_000)
                .map(|i| BucketInfo {
                    name: format!("bucket-{i:09}"),
                    created: None,
                })
                .collect());
        }
        Ok(Vec::new())
    }
}
