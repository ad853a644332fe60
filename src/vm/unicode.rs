//! Python's character classes where Rust's differ, for `str` methods, `re` and `int()`:
//! - whitespace (`str.isspace`, `split()`, `strip()`, `\s`) also counts the information
//!   separators U+001C-U+001F (but `int()` and `float()` do not strip them: Rust's `trim`);
//! - a decimal (`isdecimal`, `\d`, the digits `int()` and `float()` take) is general category
//!   Nd only, where Rust's `is_numeric` also takes `²`, `½` and `Ⅻ`;
//! - a digit (`isdigit`) is a decimal or a character of Numeric_Type Digit (superscripts,
//!   circled digits);
//! - a numeric (`isnumeric`) is also one of the CJK ideographs that have a numeric value
//!   (`一`, `万`), which are letters by category.
//!
//! The tables hold CPython 3.11's Unicode data (Unicode 14).

/// The zero of every run of ten decimal digits (Nd comes in such runs, zero to nine).
const DECIMAL_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The characters, in ranges, that are digits but not decimals.
const OTHER_DIGITS: [(u32, u32); 20] = [
    (0xb2, 0xb3),
    (0xb9, 0xb9),
    (0x1369, 0x1371),
    (0x19da, 0x19da),
    (0x2070, 0x2070),
    (0x2074, 0x2079),
    (0x2080, 0x2089),
    (0x2460, 0x2468),
    (0x2474, 0x247c),
    (0x2488, 0x2490),
    (0x24ea, 0x24ea),
    (0x24f5, 0x24fd),
    (0x24ff, 0x24ff),
    (0x2776, 0x277e),
    (0x2780, 0x2788),
    (0x278a, 0x2792),
    (0x10a40, 0x10a43),
    (0x10e60, 0x10e68),
    (0x11052, 0x1105a),
    (0x1f100, 0x1f10a),
];

/// The characters of Numeric_Type Numeric outside the number categories (CJK ideographs).
const IDEOGRAPH_NUMERALS: [u32; 81] = [
    0x3405, 0x3483, 0x382a, 0x3b4d, 0x4e00, 0x4e03, 0x4e07, 0x4e09, 0x4e5d, 0x4e8c, 0x4e94, 0x4e96,
    0x4ebf, 0x4ec0, 0x4edf, 0x4ee8, 0x4f0d, 0x4f70, 0x5104, 0x5146, 0x5169, 0x516b, 0x516d, 0x5341,
    0x5343, 0x5344, 0x5345, 0x534c, 0x53c1, 0x53c2, 0x53c3, 0x53c4, 0x56db, 0x58f1, 0x58f9, 0x5e7a,
    0x5efe, 0x5eff, 0x5f0c, 0x5f0d, 0x5f0e, 0x5f10, 0x62fe, 0x634c, 0x67d2, 0x6f06, 0x7396, 0x767e,
    0x8086, 0x842c, 0x8cae, 0x8cb3, 0x8d30, 0x9621, 0x9646, 0x964c, 0x9678, 0x96f6, 0xf96b, 0xf973,
    0xf978, 0xf9b2, 0xf9d1, 0xf9d3, 0xf9fd, 0x20001, 0x20064, 0x200e2, 0x20121, 0x2092a, 0x20983,
    0x2098c, 0x2099c, 0x20aea, 0x20afd, 0x20b19, 0x22390, 0x22998, 0x23b1b, 0x2626d, 0x2f890,
];

/// `str.isnumeric` for one character.
pub fn is_numeric(c: char) -> bool {
    c.is_numeric() || IDEOGRAPH_NUMERALS.binary_search(&(c as u32)).is_ok()
}

/// `str.isspace` for one character.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The value of a decimal digit (general category Nd), else None.
pub fn decimal_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    let c = c as u32;
    let i = DECIMAL_ZEROS.partition_point(|&z| z <= c);
    let zero = *DECIMAL_ZEROS.get(i.checked_sub(1)?)?;
    (c - zero < 10).then_some(c - zero)
}

/// `str.isdecimal` for one character.
pub fn is_decimal(c: char) -> bool {
    decimal_value(c).is_some()
}

/// `str.isdigit` for one character.
pub fn is_digit(c: char) -> bool {
    let n = c as u32;
    is_decimal(c) || OTHER_DIGITS.iter().any(|&(a, b)| a <= n && n <= b)
}

/// `s` with its decimal digits made ASCII, for parsing numbers as `int()` and `float()` do;
/// None when there are none to change.
pub fn ascii_digits(s: &str) -> Option<String> {
    if s.is_ascii() || !s.chars().any(|c| !c.is_ascii() && is_decimal(c)) {
        return None;
    }
    Some(
        s.chars()
            .map(|c| match decimal_value(c) {
                Some(d) if !c.is_ascii() => char::from(b'0' + d as u8),
                _ => c,
            })
            .collect(),
    )
}
