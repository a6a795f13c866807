//! Sorted set values. PLACEHOLDER: being written.
use bytes::Bytes;

#[derive(Clone, Debug)]
pub enum ZSet {
    Listpack(Vec<(f64, Bytes)>),
}
impl ZSet {
    pub fn len(&self) -> usize { match self { ZSet::Listpack(v) => v.len() } }
    pub fn encoding_name(&self) -> &'static str { "listpack" }
}
