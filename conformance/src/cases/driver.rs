//! The driver itself: ping, name, info.

use crate::harness::*;

pub(crate) const CASES: &[Case] = &[
    case!("driver/ping", ping),
    case!("driver/name", name),
    case!("driver/info", info),
];

async fn ping(ctx: Ctx) -> CaseResult {
    ctx.d.ping().await.ctx("ping")?;
    // A second ping on the same handle works too.
    ctx.d.ping().await.ctx("second ping")
}

async fn name(ctx: Ctx) -> CaseResult {
    let name = ctx.d.name().await.ctx("name")?;
    ensure!(
        !name.trim().is_empty(),
        "name: expected a non-empty name, got {name:?}"
    );
    Ok(())
}

async fn info(ctx: Ctx) -> CaseResult {
    let info = ctx.d.info();
    ensure!(!info.name.trim().is_empty(), "info: empty driver name");
    ensure!(
        !info.version.trim().is_empty(),
        "info: empty driver version"
    );
    Ok(())
}
