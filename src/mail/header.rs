//! The header block as byte ranges: where each field starts and ends (folded continuation
//! lines included), and where the body begins.

use std::ops::Range;

pub(super) struct HeaderBlock {
    /// Each field's bytes, its line end included.
    pub fields: Vec<Range<usize>>,
    /// Where the blank line that ends the header block starts (or the end of the input when
    /// there is none).
    pub end: usize,
}

impl HeaderBlock {
    pub fn scan(raw: &[u8]) -> HeaderBlock {
        let mut fields: Vec<Range<usize>> = Vec::new();
        let mut pos = 0;
        while pos < raw.len() {
            let line_end = raw[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(raw.len(), |i| pos + i + 1);
            let line = &raw[pos..line_end];
            if line == b"\n" || line == b"\r\n" {
                return HeaderBlock { fields, end: pos };
            }
            let continues = matches!(line.first(), Some(b' ' | b'\t'));
            match fields.last_mut() {
                Some(last) if continues => last.end = line_end,
                _ => fields.push(pos..line_end),
            }
            pos = line_end;
        }
        HeaderBlock {
            fields,
            end: raw.len(),
        }
    }

    /// Whether the field at `range` is named `name` (case-insensitive).
    pub fn is_named(raw: &[u8], range: &Range<usize>, name: &str) -> bool {
        let field = &raw[range.clone()];
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            return false;
        };
        field[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(name.as_bytes())
    }
}

/// The line ending the message uses (that of its first line).
pub(super) fn newline(raw: &[u8]) -> &'static [u8] {
    match raw.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && raw[i - 1] == b'\r' => b"\r\n",
        Some(_) => b"\n",
        None => b"\r\n",
    }
}
