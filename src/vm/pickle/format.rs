//! The byte layout of a pickle: header, checksum, and the primitive encodings (varints,
//! strings, tagged values) shared by the writer and the reader.
//!
//! ```text
//! header   "SMPK" | version: u16 LE | payload length: u32 LE | CRC-32 of payload: u32 LE
//! payload  sources   varint n, n x (filename: str, text: str)
//!          codes     varint n, n x (source: varint, path: varint k, k x varint, name: str)
//!          objects   varint n, n x record (tag byte + fields; see `Tag`)
//!          root      0 value | 1 frames (varint n, n x frame, varint m, m x value)
//! value    tag byte: 0 None, 1 False, 2 True, 3 int (zigzag varint), 4 float (8 bytes LE),
//!          5 NotImplemented, 6 Ellipsis, 7 object (varint index into the object table)
//! str      varint length + UTF-8 bytes; bytes: varint length + bytes
//! ```
//!
//! Objects form a flat table and refer to each other by index, so neither the writer nor the
//! reader recurses over the object graph: sharing and cycles cost nothing special, and hostile
//! nesting cannot exhaust the Rust stack.

pub const MAGIC: &[u8; 4] = b"SMPK";
pub const VERSION: u16 = 1;
pub const HEADER_LEN: usize = 14;

/// Object record tags.
pub mod tag {
    pub const STR: u8 = 1;
    pub const BYTES: u8 = 2;
    pub const BIGINT: u8 = 3;
    pub const LIST: u8 = 4;
    pub const TUPLE: u8 = 5;
    pub const DICT: u8 = 6;
    pub const SET: u8 = 7;
    pub const RANGE: u8 = 8;
    pub const SLICE: u8 = 9;
    pub const CELL: u8 = 10;
    pub const FUNCTION: u8 = 11;
    pub const CLASS: u8 = 12;
    pub const INSTANCE: u8 = 13;
    pub const BOUND_METHOD: u8 = 14;
    pub const MODULE: u8 = 15;
    pub const MODULE_DICT: u8 = 16;
    /// A built-in object found by name: (namespace, name).
    pub const NAMED: u8 = 17;
    /// A method of a built-in type bound to its receiver: (receiver, name).
    pub const NATIVE_BOUND: u8 = 18;
    pub const GENERATOR: u8 = 19;
    pub const PROPERTY: u8 = 20;
    pub const STATIC_METHOD: u8 = 21;
    pub const CLASS_METHOD: u8 = 22;
    pub const HOST: u8 = 23;
    pub const ITER: u8 = 24;
    pub const VIEW: u8 = 25;
    pub const SUPER: u8 = 26;
}

/// CRC-32 (IEEE 802.3, reflected), bitwise with a small table built on first use.
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut c = !0u32;
    for b in data {
        c = t[((c ^ *b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Wraps a payload in the header.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Why a header was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
    Foreign,
    Version(u16),
    Truncated,
    Checksum,
    TrailingData,
}

/// Checks magic, version, length and checksum; returns the payload.
pub fn unseal(data: &[u8]) -> Result<&[u8], HeaderError> {
    if data.len() < MAGIC.len() || &data[..4] != MAGIC {
        // A prefix of our magic is our data cut short, not someone else's.
        if !data.is_empty() && data.len() < 4 && MAGIC.starts_with(data) {
            return Err(HeaderError::Truncated);
        }
        return Err(HeaderError::Foreign);
    }
    if data.len() < HEADER_LEN {
        return Err(HeaderError::Truncated);
    }
    let version = u16::from_le_bytes([data[4], data[5]]);
    if version != VERSION {
        return Err(HeaderError::Version(version));
    }
    let len = u32::from_le_bytes([data[6], data[7], data[8], data[9]]) as usize;
    let crc = u32::from_le_bytes([data[10], data[11], data[12], data[13]]);
    let body = &data[HEADER_LEN..];
    if body.len() < len {
        return Err(HeaderError::Truncated);
    }
    if body.len() > len {
        return Err(HeaderError::TrailingData);
    }
    if crc32(body) != crc {
        return Err(HeaderError::Checksum);
    }
    Ok(body)
}

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn varint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }

    pub fn usize(&mut self, v: usize) {
        self.varint(v as u64);
    }

    pub fn i64(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn f64(&mut self, f: f64) {
        self.buf.extend_from_slice(&f.to_bits().to_le_bytes());
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.usize(b.len());
        self.buf.extend_from_slice(b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Why the reader stopped.
#[derive(Debug)]
pub enum ReadError {
    Truncated,
    Invalid(String),
}

pub type RResult<T> = Result<T, ReadError>;

pub fn invalid<T>(msg: impl Into<String>) -> RResult<T> {
    Err(ReadError::Invalid(msg.into()))
}

/// A cursor over the payload. Every read checks the remaining length first.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }

    pub fn u8(&mut self) -> RResult<u8> {
        let b = *self.data.get(self.pos).ok_or(ReadError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn take(&mut self, n: usize) -> RResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(ReadError::Truncated);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn varint(&mut self) -> RResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        invalid("varint too long")
    }

    pub fn u32(&mut self) -> RResult<u32> {
        u32::try_from(self.varint()?).or_else(|_| invalid("number out of range"))
    }

    /// A count of items that each take at least `min_size` bytes: checked against the bytes
    /// left, so no allocation is ever sized by a number the input merely claims.
    pub fn count(&mut self, min_size: usize) -> RResult<usize> {
        let n = self.varint()?;
        let max = self.remaining() / min_size.max(1);
        if n > max as u64 {
            return Err(ReadError::Truncated);
        }
        Ok(n as usize)
    }

    pub fn i64(&mut self) -> RResult<i64> {
        let z = self.varint()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    pub fn f64(&mut self) -> RResult<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
    }

    pub fn bytes(&mut self) -> RResult<&'a [u8]> {
        let n = self.count(1)?;
        self.take(n)
    }

    pub fn str(&mut self) -> RResult<&'a str> {
        let b = self.bytes()?;
        std::str::from_utf8(b).or_else(|_| invalid("string is not UTF-8"))
    }

    pub fn bool(&mut self) -> RResult<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => invalid("bad flag byte"),
        }
    }
}
