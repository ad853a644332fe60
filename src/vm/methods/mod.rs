//! Methods of the built-in types, looked up by type and name.

mod bytes;
mod coll;
mod text;

use super::value::{BuiltinType, NativeFn};

pub fn builtin_method(t: BuiltinType, name: &str) -> Option<(&'static str, NativeFn)> {
    let table: &[(&'static str, NativeFn)] = match t {
        BuiltinType::Str => text::STR,
        BuiltinType::Bytes => bytes::BYTES,
        BuiltinType::List => coll::LIST,
        BuiltinType::Tuple => coll::TUPLE,
        BuiltinType::Dict => coll::DICT,
        BuiltinType::Set | BuiltinType::FrozenSet => coll::SET,
        BuiltinType::Generator => coll::GENERATOR,
        BuiltinType::Int | BuiltinType::Bool => coll::INT,
        BuiltinType::Float => coll::FLOAT,
        BuiltinType::Object => coll::OBJECT,
        _ => return None,
    };
    table.iter().find(|(n, _)| *n == name).copied()
}
