//! Hash values. PLACEHOLDER: being written; see the module docs once complete.
use bytes::Bytes;
use crate::dict::Dict;

#[derive(Clone, Debug)]
pub enum Hash {
    Listpack(Vec<(Bytes, Bytes)>),
    Table(Dict<Bytes, Bytes>),
}
impl Hash {
    pub fn len(&self) -> usize { match self { Hash::Listpack(v) => v.len(), Hash::Table(d) => d.len() } }
    pub fn encoding_name(&self) -> &'static str { match self { Hash::Listpack(_) => "listpack", Hash::Table(_) => "hashtable" } }
}
