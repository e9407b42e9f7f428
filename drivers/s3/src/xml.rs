//! S3's XML bodies: the shared element tree of `common::xml`.

pub use crate::common::xml::{escape, parse, Element};
