//! The library API as an application calls it.

use std::path::Path;
use tokio::io::AsyncReadExt;
use trove_host::{
    ByteRange, Driver, ErrorKind, GetOptions, Host, HostConfig, ListOptions, PutOptions,
};

fn host() -> Host {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache");
    Host::new(HostConfig {
        cache_dir: Some(cache),
        ..Default::default()
    })
    .unwrap()
}

async fn file_driver(root: &Path) -> Driver {
    host()
        .open(&format!("file://{}", root.display()))
        .await
        .unwrap()
}

#[tokio::test]
async fn stream_a_body_in_and_out() {
    let d = host().open("mem://").await.unwrap();
    assert_eq!(d.info().name, "mem");
    assert!(d.info().stateful);
    assert_eq!(d.capabilities().names(), vec!["stream-put", "put-bytes"]);
    d.create_bucket("stream").await.unwrap();
    // 5 MiB + 3 from a reader that hands out odd-sized pieces
    let data: Vec<u8> = (0..(5 << 20) + 3).map(|i| (i * 7 % 251) as u8).collect();
    let info = d
        .put(
            "stream",
            "big",
            std::io::Cursor::new(data.clone()),
            PutOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(info.size, data.len() as u64);
    let (head, mut body) = d.get("stream", "big", GetOptions::default()).await.unwrap();
    assert_eq!(head.etag, info.etag);
    let mut back = Vec::new();
    body.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, data);
    let range = GetOptions {
        range: Some(ByteRange::Span {
            offset: 10,
            length: Some(5),
        }),
        ..Default::default()
    };
    let (_, part) = d.get_bytes("stream", "big", range).await.unwrap();
    assert_eq!(part, &data[10..15]);
    let err = d.head("stream", "nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ObjectNotFound);
    assert!(!err.is_retryable());
    d.delete("stream", "big").await.unwrap();
    d.delete_bucket("stream").await.unwrap();
}

#[tokio::test]
async fn an_unread_body_does_not_block_other_calls() {
    // A small body is buffered by the host, so the one mem instance is free again.
    let d = host().open("mem://").await.unwrap();
    d.create_bucket("b1").await.unwrap();
    d.put_bytes("b1", "k", b"abc".to_vec(), PutOptions::default())
        .await
        .unwrap();
    let (_, reader) = d.get("b1", "k", GetOptions::default()).await.unwrap();
    d.put_bytes("b1", "k2", b"def".to_vec(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(reader.read_all().await.unwrap(), b"abc");
}

/// A body already in memory as parts of every size (`put_parts`, what the
/// `object_store` adapter uses) arrives whole, on a driver with a writer
/// (file) and on one answering `put-bytes` (mem); a size that is not the
/// parts' total fails the put and leaves nothing.
#[tokio::test]
async fn a_body_in_parts_arrives_whole() {
    let root = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..(5 << 20) + 7).map(|i| (i * 13 % 251) as u8).collect();
    let sizes = [3, 70_000, 1, (2 << 20) + 5, 10, 65_536, 0, 1 << 20, 17];
    let mut parts = Vec::new();
    let mut at = 0;
    for n in sizes {
        parts.push(bytes::Bytes::copy_from_slice(&data[at..at + n]));
        at += n;
    }
    parts.push(bytes::Bytes::copy_from_slice(&data[at..]));
    for d in [
        file_driver(root.path()).await,
        host().open("mem://").await.unwrap(),
    ] {
        d.create_bucket("parts").await.unwrap();
        let info = d
            .put_parts("parts", "k", parts.clone(), PutOptions::default())
            .await
            .unwrap();
        assert_eq!(info.size, data.len() as u64);
        let (_, back) = d
            .get_bytes("parts", "k", GetOptions::default())
            .await
            .unwrap();
        assert!(
            back == data,
            "{}: the body came back changed",
            d.info().name
        );
        let small = vec![
            bytes::Bytes::from_static(b"ab"),
            bytes::Bytes::from_static(b"c"),
        ];
        d.put_parts("parts", "small", small, PutOptions::default())
            .await
            .unwrap();
        let (_, back) = d
            .get_bytes("parts", "small", GetOptions::default())
            .await
            .unwrap();
        assert_eq!(back, b"abc");
        let wrong = PutOptions {
            size: Some(data.len() as u64 + 1),
            ..Default::default()
        };
        let err = d
            .put_parts("parts", "wrong", parts.clone(), wrong)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        let err = d.head("parts", "wrong").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ObjectNotFound);
    }
}

/// A large body reaches the file driver through `put-stream`, which splices
/// it into the file without reading it into the guest (the `splice` import
/// hashes it on the way): it arrives whole with the same content ETag as on
/// mem, whether it came as parts or from a reader; a reader that fails
/// midway fails the put (`io`) and leaves nothing.
#[tokio::test]
async fn a_spliced_put_arrives_whole_with_the_content_etag() {
    let root = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..(3 << 20) + 12_345)
        .map(|i| (i * 7 % 253) as u8)
        .collect();
    let etag = format!("{:032x}-xxh3", xxhash_rust::xxh3::xxh3_128(&data));
    let parts = vec![
        bytes::Bytes::copy_from_slice(&data[..5]),
        bytes::Bytes::copy_from_slice(&data[5..]),
    ];
    for d in [
        file_driver(root.path()).await,
        host().open("mem://").await.unwrap(),
    ] {
        let name = d.info().name.clone();
        d.create_bucket("splice").await.unwrap();
        let a = d
            .put_parts("splice", "parts", parts.clone(), PutOptions::default())
            .await
            .unwrap();
        let b = d
            .put(
                "splice",
                "reader",
                std::io::Cursor::new(data.clone()),
                PutOptions::default(),
            )
            .await
            .unwrap();
        for (info, key) in [(a, "parts"), (b, "reader")] {
            assert_eq!(info.etag, etag, "{name} {key}: the content ETag");
            assert_eq!(info.size, data.len() as u64);
            let (head, back) = d
                .get_bytes("splice", key, GetOptions::default())
                .await
                .unwrap();
            assert_eq!(head.etag, etag, "{name} {key}: the stored ETag");
            assert!(back == data, "{name} {key}: the body came back changed");
        }
        let broken = tokio_util::io::StreamReader::new(futures::stream::iter(vec![
            Ok(bytes::Bytes::copy_from_slice(&data[..2 << 20])),
            Err(std::io::Error::other("the client went away")),
        ]));
        let err = d
            .put("splice", "broken", broken, PutOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{name}: {err}");
        assert!(err.to_string().contains("went away"), "{name}: {err}");
        let err = d.head("splice", "broken").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ObjectNotFound, "{name}");
    }
    // Nothing left behind in the file driver's temporary folder.
    let tmp = root.path().join(".trove/tmp");
    let left = std::fs::read_dir(&tmp).map_or(0, |d| d.count());
    assert_eq!(left, 0, "temporary files left in {}", tmp.display());
}

/// Gets of large files left unread do not stall the next get on the same
/// driver, whatever order the bodies are read in (the host reads ahead for
/// each within one budget, and a body that finds no room reads on demand).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_file_bodies_do_not_stall_other_gets() {
    let root = tempfile::tempdir().unwrap();
    let d = file_driver(root.path()).await;
    d.create_bucket("many").await.unwrap();
    let data: Vec<u8> = (0..(3 << 20) + 1).map(|i| (i % 241) as u8).collect();
    d.put_bytes("many", "k", data.clone(), PutOptions::default())
        .await
        .unwrap();
    let all = async {
        let mut bodies = Vec::new();
        for _ in 0..8 {
            let (_, mut body) = d.get("many", "k", GetOptions::default()).await.unwrap();
            // A byte of each: every one of them reads ahead, if it can.
            let mut one = [0u8; 1];
            body.read_exact(&mut one).await.unwrap();
            bodies.push(body);
        }
        for mut body in bodies.into_iter().rev() {
            let mut rest = Vec::new();
            body.read_to_end(&mut rest).await.unwrap();
            assert!(rest == data[1..], "a body came back changed");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), all)
        .await
        .expect("8 gets of one file, read in reverse order, within 60 s");
}

#[tokio::test]
async fn optional_capabilities_are_unsupported_when_absent() {
    let d = host().open("mem://").await.unwrap();
    let e = d
        .create_multipart("b", "k", PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = d
        .presign(trove_host::PresignMethod::Get, "b", "k", 60)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn the_file_driver_never_leaves_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), b"top secret").unwrap();
    let d = file_driver(&root).await;
    d.create_bucket("b").await.unwrap();

    for key in [
        "../outside/secret.txt",
        "../../x",
        "/etc/passwd",
        "a/../../x",
        "a/./b",
        "a//b",
        "//",
        "a/.trove-folder-marker",
        "nul\0byte",
        "",
    ] {
        let put = d
            .put_bytes("b", key, b"x".to_vec(), PutOptions::default())
            .await;
        assert_eq!(
            put.unwrap_err().kind(),
            ErrorKind::InvalidArgument,
            "put {key:?}"
        );
        let get = d.get_bytes("b", key, GetOptions::default()).await;
        assert_eq!(
            get.unwrap_err().kind(),
            ErrorKind::InvalidArgument,
            "get {key:?}"
        );
    }
    // A folder marker `a/` is a key like any other, kept inside the root.
    d.put_bytes("b", "a/", b"x".to_vec(), PutOptions::default())
        .await
        .unwrap();
    assert!(root.join("b/a/.trove-folder-marker").is_file());
    assert!(!dir.path().join("a").exists());
    for bucket in ["..", ".", "../outside", "/abs", ".trove"] {
        let e = d.create_bucket(bucket).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "bucket {bucket:?}");
    }

    // A symlink planted inside the root that points outside it: the sandbox
    // (cap-std) refuses to follow it, for reading and for writing.
    std::os::unix::fs::symlink(&outside, root.join("b").join("link")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("b").join("file-link"))
        .unwrap();
    for key in ["link/secret.txt", "file-link"] {
        match d.get_bytes("b", key, GetOptions::default()).await {
            Ok((_, bytes)) => panic!("read {} bytes through {key}", bytes.len()),
            Err(e) => assert_ne!(e.kind(), ErrorKind::DriverCrashed, "{e}"),
        }
    }
    let _ = d
        .put_bytes(
            "b",
            "link/planted.txt",
            b"evil".to_vec(),
            PutOptions::default(),
        )
        .await;
    assert!(
        !outside.join("planted.txt").exists(),
        "wrote outside the root"
    );
    assert_eq!(
        std::fs::read(outside.join("secret.txt")).unwrap(),
        b"top secret"
    );
    let listed = d.list("b", ListOptions::default()).await.unwrap();
    assert!(
        listed.objects.iter().all(|o| !o.key.contains("secret")),
        "{:?}",
        listed.objects
    );
}

#[tokio::test]
async fn file_objects_survive_a_new_host() {
    let dir = tempfile::tempdir().unwrap();
    {
        let d = file_driver(dir.path()).await;
        d.create_bucket("keep").await.unwrap();
        let opts = PutOptions {
            content_type: Some("text/plain".into()),
            metadata: vec![("Zeta".into(), "1".into()), ("alpha".into(), "2".into())],
            ..Default::default()
        };
        d.put_bytes("keep", "dir/note.txt", b"durable".to_vec(), opts)
            .await
            .unwrap();
    }
    let d = file_driver(dir.path()).await;
    let info = d.head("keep", "dir/note.txt").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        info.metadata,
        vec![
            ("Zeta".to_string(), "1".to_string()),
            ("alpha".to_string(), "2".to_string())
        ]
    );
    // keys with '/' are folders on disk; the driver's own state is hidden
    assert_eq!(
        std::fs::read(dir.path().join("keep/dir/note.txt")).unwrap(),
        b"durable"
    );
    let page = d.list("keep", ListOptions::default()).await.unwrap();
    assert_eq!(page.objects.len(), 1);
    assert_eq!(
        d.list_buckets()
            .await
            .unwrap()
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>(),
        ["keep"]
    );
}

#[tokio::test]
async fn bad_dsns_and_unknown_schemes() {
    let h = host();
    assert_eq!(
        h.open("").await.err().unwrap().kind(),
        ErrorKind::InvalidDsn
    );
    assert_eq!(
        h.open("nope://x").await.err().unwrap().kind(),
        ErrorKind::UnknownScheme
    );
    assert_eq!(
        h.open("file://relative/path").await.err().unwrap().kind(),
        ErrorKind::InvalidDsn
    );
    let err = h.open("nope://user:hunter2@h").await.err().unwrap();
    assert!(!err.to_string().contains("hunter2"));
}

#[tokio::test]
async fn a_call_abandoned_midway_does_not_poison_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let d = file_driver(dir.path()).await;
    d.create_bucket("b").await.unwrap();
    let big = vec![7u8; 32 << 20];
    for _ in 0..5 {
        // Drop the put at some point inside a guest call.
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(3),
            d.put_bytes("b", "k", big.clone(), PutOptions::default()),
        )
        .await;
        d.ping().await.unwrap();
        d.put_bytes("b", "small", b"ok".to_vec(), PutOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(
        d.get_bytes("b", "small", GetOptions::default())
            .await
            .unwrap()
            .1,
        b"ok"
    );
}
