//! Memory stays flat while streaming: put and get a large file through the
//! file driver and check the peak RSS of the `trove-host` process.
//! Its own test binary, so that no other test's children count.

use std::process::Command;

/// Size of the object: 1 GiB, or `TROVE_RSS_TEST_MIB` MiB.
fn size() -> u64 {
    std::env::var("TROVE_RSS_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
        << 20
}

/// Peak RSS (KiB) of the largest child waited for so far.
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
fn streaming_a_large_file_keeps_rss_flat() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big.bin");
    let size = size();
    {
        let mut f =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&src).unwrap());
        let block: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        for i in 0..size >> 20 {
            let mut b = block.clone();
            b[..8].copy_from_slice(&i.to_le_bytes());
            f.write_all(&b).unwrap();
        }
    }
    let dsn = format!("file://{}", dir.path().join("store").display());
    let out = dir.path().join("back.bin");
    let cache = concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache");
    let trove = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_trove-host"))
            .args(["--cache-dir", cache, "--dsn", &dsn])
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    trove(&["mb", "big"]);
    let t = std::time::Instant::now();
    trove(&["put", "big", "object", src.to_str().unwrap()]);
    let put_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    trove(&["get", "big", "object", out.to_str().unwrap()]);
    let get_s = t.elapsed().as_secs_f64();
    let peak_mib = children_max_rss_kib() / 1024;
    let mib = (size >> 20) as f64;
    println!(
        "{mib} MiB: put {put_s:.1}s ({:.0} MiB/s), get {get_s:.1}s ({:.0} MiB/s), peak RSS {peak_mib} MiB",
        mib / put_s,
        mib / get_s
    );
    assert_eq!(std::fs::metadata(&out).unwrap().len(), size);
    assert!(files_equal(&src, &out), "the file came back different");
    assert!(
        peak_mib < 100,
        "peak RSS {peak_mib} MiB is not under 100 MiB"
    );
}

fn files_equal(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
    fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]).unwrap() {
                0 => break,
                m => n += m,
            }
        }
        n
    }
}
