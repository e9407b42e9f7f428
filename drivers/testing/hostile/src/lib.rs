//! A driver that misbehaves on purpose, chosen by the bucket name of `head`:
//!
//! | bucket  | what it does                                   | the host must answer  |
//! |---------|------------------------------------------------|-----------------------|
//! | `spin`  | loops forever on the CPU                       | timeout (epoch)       |
//! | `sleep` | blocks in a host call (a clock wait) forever   | timeout (wall clock)  |
//! | `panic` | panics                                         | driver-crashed        |
//! | `oom`   | grows memory without bound                     | driver-crashed        |
//! | `stack` | recurses without bound                         | driver-crashed        |
//! | `env`   | reports what environment and args it can see   | (nothing: empty)      |
//! | other   | answers normally                               | ok                    |
//!
//! Everything else answers like an empty store. Used by the host's tests only.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "trove:driver/mem-driver@0.1.0",
    generate_all,
});

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Reader, Writer};
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};

struct Hostile;
export!(Hostile);

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
        Err(Error::Unsupported("hostile driver stores nothing".into()))
    }
    fn abort(&self) {}
}

fn info(key: &str, size: u64) -> ObjectInfo {
    ObjectInfo {
        key: key.into(),
        size,
        etag: "0".into(),
        content_type: None,
        last_modified: None,
        metadata: Vec::new(),
        version_id: None,
        storage_class: None,
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

impl Guest for Hostile {
    type Reader = NoReader;
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
        Ok((info(&k, 0), Body::Guest(Reader::new(NoReader))))
    }
    fn head(bucket: String, key: String) -> Result<ObjectInfo, Error> {
        match bucket.as_str() {
            "spin" => {
                let mut x: u64 = 1;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(100_000));
                Ok(info(&key, 0))
            }
            "panic" => panic!("hostile driver panics on purpose"),
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "stack" => {
                let mut pad = [0u8; 256];
                Ok(info(&key, recurse(0, &mut pad)))
            }
            "env" => {
                let vars = std::env::vars().count() as u64;
                let args = std::env::args().count() as u64;
                let root = std::fs::read_dir("/").is_ok() as u64;
                Ok(info(&format!("vars={vars} args={args} root={root}"), 0))
            }
            _ => Ok(info(&key, 0)),
        }
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
        Ok(info(&dk, 0))
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
