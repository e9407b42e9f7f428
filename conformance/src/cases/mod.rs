//! The case table, one module per concern. Each module lists its cases in a
//! `CASES` table; they run in the order below.

use crate::harness::Case;

mod buckets;
mod capabilities;
mod concurrency;
mod conditional;
mod copy;
mod driver;
mod folders;
mod keys;
mod large;
mod list;
mod objects;
mod ranges;

/// Every case, in running order.
pub(crate) fn all() -> impl Iterator<Item = &'static Case> {
    [
        driver::CASES,
        buckets::CASES,
        objects::CASES,
        keys::CASES,
        folders::CASES,
        list::CASES,
        copy::CASES,
        ranges::CASES,
        conditional::CASES,
        concurrency::CASES,
        large::CASES,
        capabilities::CASES,
    ]
    .into_iter()
    .flatten()
}
