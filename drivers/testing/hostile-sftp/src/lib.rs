//! A driver that calls the host's `sftp` import directly with paths the test
//! chooses, to prove that the host confines them by what the server resolves.
//! Used by host/tests/sandbox_sftp.rs only; never shipped.
//!
//! `head(op, path)` performs `op` on `path` (a full remote path, not a key)
//! and reports the host's answer: a refusal or failure as its own error
//! (so the test sees the host's error, typed), a success as the returned key.
//!
//! | op        | what it calls                                              | key on success          |
//! |-----------|------------------------------------------------------------|-------------------------|
//! | `read`    | `open(path, read)`, then `read(0, 1 MiB)`                  | `read: <the bytes>`     |
//! | `write`   | `open(path, write+create+truncate)`, `write(0, "pwned")`   | `wrote`                 |
//! | `append`  | `open(path, write)` (no create, no truncate), `write(0, "pwned")` | `wrote`          |
//! | `create`  | `open(path, write+create+exclusive)`, `write(0, "pwned")`  | `wrote`                 |
//! | `stat`    | `stat(path)`                                               | `size N dir B`          |
//! | `readdir` | `readdir(path)`                                            | the names, sorted, `,`  |
//! | `mkdir`   | `mkdir(path)`                                              | `done`                  |
//! | `remove`  | `remove(path)`                                             | `done`                  |
//! | `rmdir`   | `rmdir(path)`                                              | `done`                  |
//! | `rename`  | `rename(src, dst)`, path being `src` TAB `dst`             | `done`                  |

// One SSH session (the tests allow it: `--allow sftp:sftp`).
#[used]
#[link_section = "trove:grants"]
static GRANTS: [u8; 13] = *br#"{"sftp":true}"#;

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package trove:hostile-sftp;
        world hostile-sftp {
            include trove:driver/mem-driver@0.2.0;
            import trove:driver/sftp@0.2.0;
        }
    ",
    world: "trove:hostile-sftp/hostile-sftp",
    generate_all,
});

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Reader, Writer};
use trove::driver::sftp::{self, OpenFlags};
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};

struct HostileSftp;
export!(HostileSftp);

pub struct NoReader;
impl GuestReader for NoReader {
    fn read(&self, _max: u64) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
}

pub struct NoWriter;
impl GuestWriter for NoWriter {
    fn write(&self, _chunk: Vec<u8>) -> Result<(), Error> {
        Ok(())
    }
    fn finish(&self) -> Result<ObjectInfo, Error> {
        Err(Error::Unsupported("stores nothing".into()))
    }
    fn abort(&self) {}
}

fn info(key: String) -> ObjectInfo {
    ObjectInfo {
        key,
        size: 0,
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

fn write_with(path: &str, mode: OpenFlags) -> Result<String, Error> {
    let f = sftp::open(path, mode)?;
    f.write(0, b"pwned")?;
    f.close()?;
    Ok("wrote".into())
}

/// Performs `op` on `path` through the `sftp` import.
fn attack(op: &str, path: &str) -> Result<String, Error> {
    match op {
        "read" => {
            let f = sftp::open(path, OpenFlags::READ)?;
            let data = f.read(0, 1 << 20)?;
            f.close()?;
            Ok(format!("read: {}", String::from_utf8_lossy(&data)))
        }
        "write" => write_with(
            path,
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE,
        ),
        "append" => write_with(path, OpenFlags::WRITE),
        "create" => write_with(
            path,
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        ),
        "stat" => {
            let a = sftp::stat(path)?;
            Ok(format!("size {} dir {}", a.size.unwrap_or(0), a.is_dir))
        }
        "readdir" => {
            let mut names: Vec<String> = sftp::readdir(path)?.into_iter().map(|e| e.name).collect();
            names.sort();
            Ok(names.join(","))
        }
        "mkdir" => sftp::mkdir(path).map(|_| "done".into()),
        "remove" => sftp::remove(path).map(|_| "done".into()),
        "rmdir" => sftp::rmdir(path).map(|_| "done".into()),
        "rename" => {
            let (src, dst) = path.split_once('\t').ok_or_else(|| {
                Error::InvalidArgument("rename needs `src<TAB>dst` as the key".into())
            })?;
            sftp::rename(src, dst).map(|_| "done".into())
        }
        other => Err(Error::InvalidArgument(format!("unknown op {other:?}"))),
    }
}

impl Guest for HostileSftp {
    type Reader = NoReader;
    type Writer = NoWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "hostile-sftp".into(),
            version: "0".into(),
            stateful: false,
        }
    }
    fn name() -> String {
        "hostile-sftp".into()
    }
    fn open(_dsn: Dsn) -> Result<(), Error> {
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
    fn get(_b: String, k: String, _o: GetOptions) -> Result<(ObjectInfo, Body), Error> {
        Ok((info(k), Body::Guest(Reader::new(NoReader))))
    }
    fn head(op: String, path: String) -> Result<ObjectInfo, Error> {
        attack(&op, &path).map(info)
    }
    fn delete(_b: String, _k: String) -> Result<(), Error> {
        Ok(())
    }
    fn list(_b: String, _o: ListOptions) -> Result<ListPage, Error> {
        Ok(ListPage {
            objects: Vec::new(),
            common_prefixes: Vec::new(),
            next_cursor: None,
        })
    }
    fn copy(_sb: String, _sk: String, _db: String, dk: String) -> Result<ObjectInfo, Error> {
        Ok(info(dk))
    }
    fn create_bucket(_b: String) -> Result<(), Error> {
        Ok(())
    }
    fn delete_bucket(_b: String) -> Result<(), Error> {
        Ok(())
    }
    fn list_buckets() -> Result<Vec<BucketInfo>, Error> {
        Ok(Vec::new())
    }
}
