//! Memory stays flat while streaming through the s3 driver: put and get a
//! 256 MiB object on s3s-fs (scripts/servers/s3s.sh) and check the peak RSS
//! of the `trove-host` process. Its own test binary, so that no other test's
//! children count. The put runs with a call deadline shorter than the
//! transfer, which a streaming put that makes progress must survive.

use std::process::Command;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start s3s-fs with `scripts/servers/s3s.sh start` and source \
             $TROVE_SERVERS_DIR/s3s.env (scripts/test.sh does both)"
        )
    })
}

fn children_max_rss_kib() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) },
        0
    );
    ru.ru_maxrss
}

#[test]
fn a_256_mib_object_streams_with_flat_rss() {
    use std::io::Write;
    let size: u64 = 256 << 20;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src).unwrap());
        let block: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        for i in 0..size >> 20 {
            let mut b = block.clone();
            b[..8].copy_from_slice(&i.to_le_bytes());
            f.write_all(&b).unwrap();
        }
    }
    let back = dir.path().join("back.bin");
    let dsn = var("TROVE_TEST_S3S_DSN");
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let bucket = format!("rss-{:x}", n & 0xffff_ffff);
    let trove = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_trove-host"))
            .args([
                "--cache-dir",
                concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"),
            ])
            .args(["--credentials-env", "TROVE_T_AK,TROVE_T_SK", "--dsn", &dsn])
            .env("TROVE_T_AK", var("TROVE_TEST_S3S_ACCESS_KEY"))
            .env("TROVE_T_SK", var("TROVE_TEST_S3S_SECRET_KEY"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    trove(&["mb", &bucket]);
    let t = std::time::Instant::now();
    // A 3 s call deadline: the put takes longer, but its deadline restarts
    // while bytes move (stream-put), so it is not cut off.
    trove(&[
        "--call-timeout",
        "3",
        "put",
        &bucket,
        "big",
        src.to_str().unwrap(),
    ]);
    let put_s = t.elapsed().as_secs_f64();
    let put_peak = children_max_rss_kib() / 1024;
    let t = std::time::Instant::now();
    trove(&["get", &bucket, "big", back.to_str().unwrap()]);
    let get_s = t.elapsed().as_secs_f64();
    let peak = children_max_rss_kib() / 1024;
    println!(
        "s3 256 MiB: put {put_s:.1}s (peak RSS {put_peak} MiB), get {get_s:.1}s (peak RSS so far {peak} MiB)"
    );
    trove(&["rm", &bucket, "big"]);
    trove(&["rb", &bucket]);
    assert_eq!(std::fs::metadata(&back).unwrap().len(), size);
    assert!(
        std::fs::read(&src).unwrap() == std::fs::read(&back).unwrap(),
        "the object came back different"
    );
    assert!(peak < 160, "peak RSS {peak} MiB is not under 160 MiB");
}
