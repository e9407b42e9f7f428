//! Bounded fuzzing (proptest) of bucket names and keys through the file
//! driver: every name is either stored and read back intact, inside the
//! root, or refused with `invalid-argument`; nothing ever lands outside
//! the root. Cases: `TROVE_FUZZ_FILE_CASES` (default 2000, about 15 s).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::Path;
use trove_host::{ErrorKind, Host, HostConfig};

fn names() -> impl Strategy<Value = (String, String)> {
    let bucket = prop_oneof![
        3 => Just("b".to_string()),
        1 => "[a-z0-9._-]{1,8}",
        1 => "\\PC{0,8}",
        1 => prop::sample::select(vec!["..", ".", "/", "a/b", "CON", "", "-"]).prop_map(String::from),
    ];
    let key = prop_oneof![
        "\\PC{1,30}",
        "[a-z./\\\\]{1,30}",
        prop::sample::select(vec![
            "..",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a/./b",
            "./a",
            "a/",
            "\\..\\x",
            "x\u{0}y",
            ".trove-tmp",
            "a/.",
            " ",
            "\u{202e}txt",
        ])
        .prop_map(String::from),
    ];
    (bucket, key)
}

/// Every path under `dir` (files, folders, links), recursively.
fn tree(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        out.push(p.clone());
        if p.is_dir() && !p.is_symlink() {
            tree(&p, out);
        }
    }
}

#[test]
fn names_through_the_file_driver_stay_inside_the_root() {
    let cases = std::env::var("TROVE_FUZZ_FILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache");
    let host = Host::new(HostConfig {
        cache_dir: Some(cache),
        ..Default::default()
    })
    .unwrap();
    let d = rt
        .block_on(host.open(&format!("file://{}", root.display())))
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (stored, refused) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    let started = std::time::Instant::now();
    runner
        .run(&names(), |(bucket, key)| {
            let r: Result<(), TestCaseError> = rt.block_on(async {
                let body = format!("{bucket:?}/{key:?}").into_bytes();
                match d.create_bucket(&bucket).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::BucketExists => {}
                    Err(e) => {
                        prop_assert_eq!(
                            e.kind(),
                            ErrorKind::InvalidArgument,
                            "bucket {:?}: {}",
                            bucket,
                            e
                        );
                        refused.set(refused.get() + 1);
                        return Ok(());
                    }
                }
                match d
                    .put_bytes(&bucket, &key, body.clone(), Default::default())
                    .await
                {
                    Ok(info) => {
                        prop_assert_eq!(info.size, body.len() as u64);
                        let (_, back) = d
                            .get_bytes(&bucket, &key, Default::default())
                            .await
                            .map_err(|e| {
                                TestCaseError::fail(format!("get {bucket:?}/{key:?}: {e}"))
                            })?;
                        prop_assert_eq!(back, body, "{:?}/{:?}", bucket, key);
                        let page = d
                            .list(
                                &bucket,
                                trove_host::ListOptions {
                                    prefix: Some(key.clone()),
                                    ..Default::default()
                                },
                            )
                            .await
                            .map_err(|e| TestCaseError::fail(format!("list: {e}")))?;
                        prop_assert!(
                            page.objects.iter().any(|o| o.key == key),
                            "{:?} not listed",
                            key
                        );
                        d.delete(&bucket, &key)
                            .await
                            .map_err(|e| TestCaseError::fail(format!("delete {key:?}: {e}")))?;
                        stored.set(stored.get() + 1);
                    }
                    Err(e) => {
                        prop_assert_eq!(
                            e.kind(),
                            ErrorKind::InvalidArgument,
                            "{:?}/{:?}: {}",
                            bucket,
                            key,
                            e
                        );
                        refused.set(refused.get() + 1);
                    }
                }
                Ok(())
            });
            r?;
            // Nothing outside the root, ever.
            let mut outside = Vec::new();
            tree(outer.path(), &mut outside);
            outside.retain(|p| !p.starts_with(&root));
            prop_assert!(
                outside.is_empty(),
                "written outside the root: {:?}",
                outside
            );
            Ok(())
        })
        .unwrap();
    println!(
        "{cases} cases in {:.1?}: {} names stored and read back, {} refused",
        started.elapsed(),
        stored.get(),
        refused.get()
    );
}
