//! `trove-host serve` under load and abuse (issue 17), run as a user runs
//! it, with its clients on loopback:
//! - 200 clients at once mixing put/get/list/delete for `TROVE_LOAD_SECS`
//!   (default 15; the README quotes a 60 s run), over the file driver and
//!   over the s3 driver → s3s-fs: no error but throttling, every get
//!   matching its put's SHA-256, every listing its puts, RSS flat;
//! - SIGTERM during 20 uploads (single and multipart): each completes or
//!   leaves nothing, and serve exits cleanly;
//! - slowloris (dribbled heads, stalled bodies) beyond `--max-connections`:
//!   the others are still served; stalled bodies end in RequestTimeout with
//!   nothing stored;
//! - oversized headers, a bad signature, bodies longer or shorter than
//!   their Content-Length: a clean answer, nothing stored.
//!
//! `--nocapture` prints the figures (operations, latencies, errors by kind,
//! RSS).

mod abuse;
mod client;
mod gateway;
mod load;
mod sigv4;

use client::S3;
use gateway::{Gateway, ACCESS_KEY};
use sigv4::Signer;
use std::time::{Duration, Instant};

/// The tests measure latency and time bounds: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn client(gw: &Gateway, secret: &str) -> S3 {
    S3::new(
        gw.addr,
        Signer {
            access_key: ACCESS_KEY.into(),
            secret_key: secret.into(),
        },
    )
}

/// The s3 driver's DSN on s3s-fs and the variables carrying its keys.
fn s3s() -> (String, Vec<(String, String)>) {
    let v = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!(
                "{n} is not set: start the server with `scripts/servers/s3s.sh start` and \
                 source $TROVE_SERVERS_DIR/s3s.env (scripts/test.sh does both)"
            )
        })
    };
    let env = vec![
        (
            "TROVE_LOAD_S3_AK".to_string(),
            v("TROVE_TEST_S3S_ACCESS_KEY"),
        ),
        (
            "TROVE_LOAD_S3_SK".to_string(),
            v("TROVE_TEST_S3S_SECRET_KEY"),
        ),
    ];
    (v("TROVE_TEST_S3S_DSN"), env)
}

const S3_CREDS: [&str; 2] = ["--credentials-env", "TROVE_LOAD_S3_AK,TROVE_LOAD_S3_SK"];

async fn load(label: &str, dsn: &str, extra: &[&str], env: &[(String, String)]) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let clients = env_or("TROVE_LOAD_CLIENTS", 200) as usize;
    let secs = Duration::from_secs(env_or("TROVE_LOAD_SECS", 15));
    let secret = gateway::secret();
    let gw = Gateway::start(dsn, &secret, extra, env);
    let s3 = client(&gw, &secret);
    let bucket = format!("load-{}", &secret[secret.len() - 8..]);
    s3.create_bucket(&bucket).await;
    let t0 = Instant::now();
    let mut r = load::run(&s3, &bucket, clients, secs, gw.child.id()).await;
    let took = t0.elapsed();
    let table = r.table();
    let rss = &r.rss_kib;
    let third = (rss.len() / 3).max(1);
    // warm-up: the pool's instances grow to their working size in the
    // first two thirds; flat means the last third stays near that
    let early = rss[..rss.len() - third].iter().max().copied().unwrap_or(0);
    let late = rss[rss.len() - third..].iter().max().copied().unwrap_or(0);
    let peak = rss.iter().max().copied().unwrap_or(0);
    // every 5 s (20 samples of 250 ms), in MiB
    let series: Vec<u64> = rss.iter().step_by(20).map(|k| k / 1024).collect();
    println!(
        "load over {label}: {clients} clients, {:.0} s, {} operations ({:.0}/s), {} throttled (503), errors: {:?}\n{}  RSS: peak {} MiB, max of the first two thirds {} MiB, of the last third {} MiB; every 5 s: {:?} MiB",
        took.as_secs_f64(),
        r.ops(),
        r.ops() as f64 / took.as_secs_f64(),
        r.throttled,
        r.errors,
        table,
        peak / 1024,
        early / 1024,
        late / 1024,
        series,
    );
    assert!(
        r.errors.is_empty(),
        "{label}: errors other than throttling: {:?}",
        r.errors
    );
    assert!(r.ops() > clients, "{label}: only {} operations", r.ops());
    assert!(
        late <= early + early / 4 + (16 << 10),
        "{label}: RSS grew from {early} KiB to {late} KiB"
    );
    gw.sigterm();
    gw.stopped(Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_over_the_file_driver() {
    let dir = tempfile::tempdir().unwrap();
    let dsn = format!("file://{}", dir.path().display());
    load("file", &dsn, &[], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_over_the_s3_driver_on_s3s_fs() {
    let (dsn, env) = s3s();
    load("s3 → s3s-fs", &dsn, &S3_CREDS, &env).await;
}

/// A body sent in 256 KiB pieces, one every `every`.
fn paced(data: bytes::Bytes, every: Duration) -> reqwest::Body {
    let pieces: Vec<bytes::Bytes> = data
        .chunks(256 << 10)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let s = futures::stream::iter(pieces).then(move |p| async move {
        tokio::time::sleep(every).await;
        Ok::<_, std::io::Error>(p)
    });
    reqwest::Body::wrap_stream(s)
}

use futures::StreamExt;

/// A PUT whose body takes its time (signed UNSIGNED-PAYLOAD, as a
/// streaming client signs): its status and ETag, or `None` when the
/// request failed.
async fn slow_put(
    s3: &S3,
    bucket: &str,
    key: &str,
    query: &[(&str, &str)],
    data: bytes::Bytes,
) -> Option<(u16, String)> {
    let path = format!("/{bucket}/{key}");
    let host = s3.addr.to_string();
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
        .collect();
    let url = match q.is_empty() {
        true => format!("http://{host}{path}"),
        false => format!("http://{host}{path}?{}", q.join("&")),
    };
    let mut rb = s3
        .http
        .put(url)
        .header("content-length", data.len())
        .body(paced(data, Duration::from_millis(150)));
    for (k, v) in s3
        .signer
        .headers("PUT", &host, &path, query, "UNSIGNED-PAYLOAD")
    {
        rb = rb.header(k, v);
    }
    let r = rb.send().await.ok()?;
    let etag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Some((r.status().as_u16(), etag))
}

/// A multipart upload whose first part takes its time, then a small last
/// part and the completion: the completion's status, or `None`.
async fn slow_multipart(s3: &S3, bucket: &str, key: &str, data: bytes::Bytes) -> Option<u16> {
    let r = s3
        .send(
            "POST",
            bucket,
            Some(key),
            &[("uploads", "")],
            bytes::Bytes::new(),
        )
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    let id = client::between(&text, "<UploadId>", "</UploadId>")?.to_string();
    let q1 = [("partNumber", "1"), ("uploadId", id.as_str())];
    let (s1, e1) = slow_put(s3, bucket, key, &q1, data.slice(..5 << 20)).await?;
    let q2 = [("partNumber", "2"), ("uploadId", id.as_str())];
    let r2 = s3
        .send("PUT", bucket, Some(key), &q2, data.slice(5 << 20..))
        .await
        .ok()?;
    if s1 != 200 || r2.status != 200 {
        return Some(s1.max(r2.status));
    }
    let done = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part>\
         <Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        r2.etag.unwrap_or_default()
    );
    let r = s3
        .send(
            "POST",
            bucket,
            Some(key),
            &[("uploadId", id.as_str())],
            done.into(),
        )
        .await
        .ok()?;
    Some(r.status)
}

async fn sigterm_during_uploads(label: &str, dsn: &str, extra: &[&str], env: &[(String, String)]) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let secret = gateway::secret();
    let gw = Gateway::start(dsn, &secret, extra, env);
    let s3 = client(&gw, &secret);
    let bucket = format!("term-{}", &secret[secret.len() - 8..]);
    s3.create_bucket(&bucket).await;
    let data: Vec<bytes::Bytes> = (0..20u8)
        .map(|i| {
            (0..(5 << 20) + 4096)
                .map(|j: usize| (j as u8) ^ i)
                .collect::<Vec<u8>>()
                .into()
        })
        .collect();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (s3, bucket, d) = (s3.clone(), bucket.clone(), data[i].clone());
            tokio::spawn(async move {
                let key = format!("up-{i}");
                let status = if i % 2 == 0 {
                    slow_put(&s3, &bucket, &key, &[], d).await.map(|(s, _)| s)
                } else {
                    slow_multipart(&s3, &bucket, &key, d).await
                };
                (key, status)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let signalled = Instant::now();
    gw.sigterm();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    gw.stopped(Duration::from_secs(30));
    let took = signalled.elapsed();
    // the store, through a new gateway: each upload whole, or absent
    let secret2 = gateway::secret();
    let gw2 = Gateway::start(dsn, &secret2, extra, env);
    let s3b = client(&gw2, &secret2);
    let (mut whole, mut absent) = (0, 0);
    for (i, (key, status)) in outcomes.iter().enumerate() {
        let r = s3b.get(&bucket, key).await.unwrap();
        match r.status {
            200 => {
                assert!(
                    r.body == data[i],
                    "{label}: {key} holds {} bytes, not the upload",
                    r.body.len()
                );
                whole += 1;
            }
            404 => {
                assert_ne!(
                    *status,
                    Some(200),
                    "{label}: {key} was acknowledged but is gone"
                );
                absent += 1;
            }
            s => panic!("{label}: {key}: {s}"),
        }
    }
    println!(
        "SIGTERM over {label} during 20 uploads: {whole} complete, {absent} left nothing, none partial; serve stopped {:.1} s after the signal",
        took.as_secs_f64()
    );
    gw2.sigterm();
    gw2.stopped(Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_uploads_over_the_file_driver() {
    let dir = tempfile::tempdir().unwrap();
    let dsn = format!("file://{}", dir.path().display());
    sigterm_during_uploads("file", &dsn, &[], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_uploads_over_the_s3_driver() {
    let (dsn, env) = s3s();
    sigterm_during_uploads("s3 → s3s-fs", &dsn, &S3_CREDS, &env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_and_malformed_requests() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let dsn = format!("file://{}", dir.path().display());
    let secret = gateway::secret();
    let limits = [
        "--max-connections",
        "64",
        "--header-timeout",
        "2",
        "--body-idle-timeout",
        "2",
    ];
    let gw = Gateway::start(&dsn, &secret, &limits, &[]);
    let s3 = client(&gw, &secret);
    let bucket = "abuse";
    s3.create_bucket(bucket).await;
    // more dribblers than connections allowed, and stalled bodies
    let dribblers = abuse::dribblers(gw.addr, 100, Duration::from_secs(8)).await;
    let stalled = abuse::stalled_bodies(&s3.signer, gw.addr, bucket, 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // the others are served meanwhile
    let mut worst = Duration::ZERO;
    for i in 0..10 {
        let t0 = Instant::now();
        let body = bytes::Bytes::from(vec![i as u8; 100 << 10]);
        let r = s3
            .put(bucket, &format!("ok-{i}"), body.clone())
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        let r = s3.get(bucket, &format!("ok-{i}")).await.unwrap();
        assert!(r.status == 200 && r.body == body);
        worst = worst.max(t0.elapsed());
    }
    assert!(
        worst < Duration::from_secs(6),
        "a client waited {worst:?} behind the slowloris"
    );
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    for t in stalled {
        *answers.entry(t.await.unwrap()).or_default() += 1;
    }
    for i in 0..10 {
        abuse::absent(&s3, bucket, &format!("stalled-{i}")).await;
    }
    assert!(
        answers
            .keys()
            .all(|a| a.starts_with("HTTP/1.1 400") || a == "closed"),
        "stalled bodies: {answers:?}"
    );
    let closed = futures::future::join_all(dribblers)
        .await
        .into_iter()
        .filter(|c| matches!(c, Ok(true)))
        .count();
    let rows = abuse::malformed(&s3, bucket).await;
    println!(
        "slowloris: 100 dribbled heads ({closed} closed by the header timeout), 10 stalled bodies ({answers:?}), \
         the slowest of 10 put+get round trips meanwhile {:.2} s; malformed: {rows:?}",
        worst.as_secs_f64()
    );
    // still serving
    let r = s3
        .put(bucket, "after", bytes::Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    gw.sigterm();
    gw.stopped(Duration::from_secs(20));
}
