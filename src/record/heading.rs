//! A step record's heading path: shared with the runbook's steps, written
//! and read as a list of strings, as `Vec<String>` is.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(path: &Arc<[String]>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(path.iter())
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<[String]>, D::Error> {
    Vec::<String>::deserialize(d).map(Arc::from)
}
