//! The fault suite (issue 17): each driver against its real server on
//! loopback, through a fault-injecting relay (`trove-fault-relay`) that
//! resets, cuts, stalls, answers 503 or plays dead. Every case asserts that
//! a failed write leaves no object (or the old one), never a partial one;
//! that a failure has the kind a caller can act on (`unavailable`,
//! `timeout`), within a bounded time and number of attempts; that a get
//! never ends short without an error; and that the host keeps serving.
//!
//! The servers come from scripts/servers/*.sh (scripts/test.sh starts them
//! all and exports their variables). The cases of one server run in turn;
//! the servers run side by side. `--nocapture` prints the table of
//! outcomes (case, result, connections the relay saw, time), which the
//! README's "Reliability" section quotes.

mod cases;
#[path = "../common/mod.rs"]
mod common;
mod target;

use cases::{Mode, Run};
use std::time::Duration;
use target::Target;
use trove_fault_relay::Dir;

/// A server's cases, bounded: a hang (a retry that never gives up) fails.
async fn suite(t: Target) {
    let name = t.name;
    tokio::time::timeout(Duration::from_secs(300), cases(t))
        .await
        .unwrap_or_else(|_| panic!("{name}: the fault cases did not end within 5 minutes"));
}

async fn cases(t: Target) {
    let mut run = Run::new(&t).await;
    for pct in [10, 50, 99] {
        run.put_cut(pct, Mode::Once).await;
        run.put_cut(pct, Mode::Always).await;
        run.put_cut(pct, Mode::OneShot).await;
    }
    run.pipe_cut(50, true).await;
    for pct in [10, 50, 99] {
        run.pipe_cut(pct, false).await;
    }
    run.overwrite_cut().await;
    run.get_cut(false).await;
    run.get_cut(true).await;
    run.stall(Dir::Up).await;
    run.stall(Dir::Down).await;
    if t.http {
        run.storm(Some(3)).await;
        run.storm(None).await;
        run.pipe_storm().await;
        run.retry_after().await;
    }
    if t.http {
        // sftp sends a put in 1 MiB chunks, each within the call deadline
        run.slow(false).await;
        run.slow(true).await;
    }
    run.down(Duration::from_secs(1)).await;
    run.down(Duration::from_secs(30)).await;
    run.no_leftovers(&[
        "put-10-Once",
        "put-50-Once",
        "put-99-Once",
        "pipe-50-true",
        "overwrite",
        "get-false",
        "get-true",
        "stall-Down",
        "stall-Up", // sftp only: the stall ended within the retry
        "storm-Some(3)",
        "retry-after",
        "pipe-storm",
        "slow-put",
        "slow-pipe",
        "down-1000",
        "down-30000",
        "alive/probe",
    ])
    .await;
    println!("{}: {} cases passed", t.name, run.rows.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_on_s3s_fs() {
    suite(Target::s3s()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_on_moto() {
    suite(Target::moto()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gs_on_fake_gcs() {
    suite(Target::gcs()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azblob_on_azurite() {
    suite(Target::azurite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_on_sshd() {
    suite(Target::sshd()).await;
}
