//! A driver that tries to send HTTP where its grant does not allow it. Used by
//! host/tests/sandbox.rs only; never shipped. `head(mode, url)` sends a
//! request to `url` through the host's `http` import and reports the host's
//! answer as its own error (so the test sees the host's refusal, typed). The
//! bucket picks the import's function: `async` (`send-async`, then `wait`),
//! `writer` (a PUT through `start` whose body `hello` the driver writes),
//! `short` (`start` promising 10 bytes, writing 5), anything else `send`. It declares no
//! grants: each test writes the declaration it needs into a copy
//! (`common::declaring`, as `trove-host grants set` does).

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package trove:hostile-http;
        world hostile-http {
            include trove:driver/mem-driver@0.2.0;
            import trove:driver/http@0.2.0;
        }
    ",
    world: "trove:hostile-http/hostile-http",
    generate_all,
});

use exports::trove::driver::core::{Body, Guest, GuestReader, GuestWriter, Reader, Writer};
use trove::driver::http::{send, send_async, start, Request, RequestBody};
use trove::driver::types::{
    BucketInfo, DriverInfo, Dsn, Error, GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions,
};

struct HostileHttp;
export!(HostileHttp);

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

impl Guest for HostileHttp {
    type Reader = NoReader;
    type Writer = NoWriter;

    fn info() -> DriverInfo {
        DriverInfo {
            name: "hostile-http".into(),
            version: "0".into(),
            stateful: false,
        }
    }
    fn name() -> String {
        "hostile-http".into()
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
    fn head(mode: String, url: String) -> Result<ObjectInfo, Error> {
        let req = |method: &str| Request {
            method: method.into(),
            url: url.clone(),
            headers: Vec::new(),
        };
        let (resp, body) = match mode.as_str() {
            "async" => send_async(&req("GET"), RequestBody::Empty).wait()?,
            "writer" | "short" => {
                let promised = if mode == "short" { 10 } else { 5 };
                let (writer, pending) = start(&req("PUT"), Some(promised))?;
                writer.write(b"hel")?;
                writer.write(b"lo")?;
                writer.finish()?;
                pending.wait()?
            }
            _ => send(&req("GET"), RequestBody::Empty)?,
        };
        let text = body.blocking_read(200).unwrap_or_default();
        Ok(info(format!(
            "{url} answered {}: {}",
            resp.status,
            String::from_utf8_lossy(&text)
        )))
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
