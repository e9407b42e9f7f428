//! The load run: many clients at once, each a bounded loop of puts, gets,
//! listings and deletes on its own keys, so that every answer can be
//! checked exactly: a get returns the SHA-256 of the last put, a listing
//! the keys put and not deleted. Errors are counted by kind; 503 (the
//! gateway throttling) is counted apart, as the only acceptable failure.

use crate::client::{code, keys, S3};
use crate::sigv4::sha256_hex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Report {
    pub latencies: BTreeMap<&'static str, Vec<Duration>>,
    pub errors: BTreeMap<String, u64>,
    pub throttled: u64,
    pub rss_kib: Vec<u64>,
}

impl Report {
    fn merge(&mut self, o: Report) {
        for (k, v) in o.latencies {
            self.latencies.entry(k).or_default().extend(v);
        }
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.throttled += o.throttled;
    }

    fn error(&mut self, what: String) {
        *self.errors.entry(what).or_default() += 1;
    }

    pub fn ops(&self) -> usize {
        self.latencies.values().map(Vec::len).sum()
    }

    /// One line per operation: count, p50, p99.
    pub fn table(&mut self) -> String {
        let mut out = String::new();
        for (op, v) in self.latencies.iter_mut() {
            v.sort();
            let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
            out.push_str(&format!(
                "  {op:<7} {:>7} ops  p50 {:>7.1} ms  p99 {:>7.1} ms\n",
                v.len(),
                p(0.5),
                p(0.99)
            ));
        }
        out
    }
}

/// A tiny deterministic generator per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn body(rng: &mut Rng) -> bytes::Bytes {
    // mostly small objects, one in twenty of 1 MiB
    let n = match rng.next() % 20 {
        0 => 1 << 20,
        _ => 1024 + (rng.next() % (63 << 10)) as usize,
    };
    (0..n).map(|_| rng.next() as u8).collect::<Vec<u8>>().into()
}

/// One client's loop until `until`.
async fn client(s3: S3, bucket: String, id: usize, until: Instant) -> Report {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((id as u64 + 1) * 0x1000_0001));
    let mut stored: HashMap<String, String> = HashMap::new();
    // Keys whose last put or delete was answered 503: as with S3, the
    // request may or may not have happened (a retried request whose first
    // attempt the backend took, an answer lost), so a listing may show them
    // or not until the client writes them again.
    let mut unknown: HashSet<String> = HashSet::new();
    let mut r = Report::default();
    let prefix = format!("c{id:03}/");
    while Instant::now() < until {
        let roll = rng.next() % 100;
        let t0 = Instant::now();
        let (op, outcome): (&'static str, Result<(), String>) = if stored.is_empty() || roll < 35 {
            let key = format!("{prefix}k{}", rng.next() % 6);
            let b = body(&mut rng);
            let sum = sha256_hex(&b);
            let a = s3.put(&bucket, &key, b).await;
            if !matches!(&a, Ok(x) if x.status == 200) {
                stored.remove(&key);
                unknown.insert(key.clone());
            }
            let o = match a {
                Ok(x) if x.status == 200 => {
                    unknown.remove(&key);
                    stored.insert(key, sum);
                    Ok(())
                }
                Ok(x) => Err(format!("{} {}", x.status, code(&x.body))),
                Err(e) => Err(format!("transport: {e}")),
            };
            ("put", o)
        } else if roll < 65 {
            let key = stored
                .keys()
                .nth(rng.next() as usize % stored.len())
                .unwrap()
                .clone();
            let o = match s3.get(&bucket, &key).await {
                Ok(x) if x.status == 200 && sha256_hex(&x.body) == stored[&key] => Ok(()),
                Ok(x) if x.status == 200 => Err("wrong bytes (SHA-256 differs)".into()),
                Ok(x) => Err(format!("{} {}", x.status, code(&x.body))),
                Err(e) => Err(format!("transport: {e}")),
            };
            ("get", o)
        } else if roll < 85 {
            let o = match s3.list(&bucket, &prefix).await {
                Ok(x) if x.status == 200 => {
                    let mut got = keys(&x.body);
                    got.retain(|k| !unknown.contains(k));
                    got.sort();
                    let mut want: Vec<String> = stored.keys().cloned().collect();
                    want.sort();
                    match got == want {
                        true => Ok(()),
                        false => Err(format!("listing {got:?} is not {want:?}")),
                    }
                }
                Ok(x) => Err(format!("{} {}", x.status, code(&x.body))),
                Err(e) => Err(format!("transport: {e}")),
            };
            ("list", o)
        } else {
            let key = stored
                .keys()
                .nth(rng.next() as usize % stored.len())
                .unwrap()
                .clone();
            let a = s3.delete(&bucket, &key).await;
            if !matches!(&a, Ok(x) if x.status == 204) {
                stored.remove(&key);
                unknown.insert(key.clone());
            }
            let o = match a {
                Ok(x) if x.status == 204 => {
                    stored.remove(&key);
                    Ok(())
                }
                Ok(x) => Err(format!("{} {}", x.status, code(&x.body))),
                Err(e) => Err(format!("transport: {e}")),
            };
            ("delete", o)
        };
        match outcome {
            Ok(()) => r.latencies.entry(op).or_default().push(t0.elapsed()),
            Err(e) if e.starts_with("503 ") => r.throttled += 1,
            Err(e) => r.error(format!("{op}: {e}")),
        }
    }
    r
}

/// `clients` clients for `secs`, with the gateway's RSS sampled every
/// 250 ms from /proc/`pid`.
pub async fn run(s3: &S3, bucket: &str, clients: usize, secs: Duration, pid: u32) -> Report {
    let until = Instant::now() + secs;
    let sampler = tokio::spawn(async move {
        let mut v = Vec::new();
        while Instant::now() < until {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if let Some(k) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                v.push(k);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        v
    });
    let tasks: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(s3.clone(), bucket.to_string(), id, until)))
        .collect();
    let mut report = Report::default();
    for t in tasks {
        report.merge(t.await.unwrap());
    }
    report.rss_kib = sampler.await.unwrap();
    report
}
