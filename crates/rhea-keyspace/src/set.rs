//! Set values. PLACEHOLDER: being written.
use bytes::Bytes;
use crate::dict::Dict;

#[derive(Clone, Debug)]
pub enum Set {
    Intset(Vec<i64>),
    Table(Dict<Bytes, ()>),
}
impl Set {
    pub fn len(&self) -> usize { match self { Set::Intset(v) => v.len(), Set::Table(d) => d.len() } }
    pub fn encoding_name(&self) -> &'static str { match self { Set::Intset(_) => "intset", Set::Table(_) => "hashtable" } }
}
