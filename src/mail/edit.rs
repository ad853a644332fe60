//! Edits: each rewrites only the bytes it concerns. Header edits touch the named fields and
//! nothing else; a footer rewrites the body of one text part (re-encoding it only when that
//! part is base64 or quoted-printable).

use std::fmt;
use std::ops::Range;

use data_encoding::BASE64_MIME;
use mailparse::{MailHeaderMap, ParsedMail};

use super::Message;
use super::header::{HeaderBlock, newline};

/// Why an edit was refused; the message is left as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// A header name must be printable ASCII without ':' or spaces.
    InvalidHeaderName(String),
    /// A header value must not contain line breaks (that would inject headers).
    InvalidHeaderValue(String),
    /// No text/plain part to append to.
    NoTextPart,
    /// The footer is not ASCII and the text part declares a charset other than UTF-8 or
    /// 7-bit content, so the bytes could not be represented faithfully.
    FooterNotRepresentable { charset: String },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            EditError::InvalidHeaderValue(v) => {
                write!(f, "header value contains a line break: {v:?}")
            }
            EditError::NoTextPart => f.write_str("the message has no text/plain part"),
            EditError::FooterNotRepresentable { charset } => {
                write!(
                    f,
                    "a non-ASCII footer cannot be added to a {charset} text part"
                )
            }
        }
    }
}

impl std::error::Error for EditError {}

impl Message {
    /// Adds `Name: value` as the last header.
    pub fn add_header(&mut self, name: &str, value: &str) -> Result<(), EditError> {
        let field = self.field_bytes(name, value)?;
        let at = HeaderBlock::scan(&self.raw).end;
        self.raw.splice(at..at, field);
        Ok(())
    }

    /// Replaces the first header of that name in place (removing any others), or adds it.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), EditError> {
        let field = self.field_bytes(name, value)?;
        let named = self.named_fields(name);
        let Some(first) = named.first().cloned() else {
            return self.add_header(name, value);
        };
        for range in named.iter().skip(1).rev() {
            self.raw.drain(range.clone());
        }
        self.raw.splice(first, field);
        Ok(())
    }

    /// Removes every header of that name; returns how many there were.
    pub fn remove_header(&mut self, name: &str) -> usize {
        let named = self.named_fields(name);
        for range in named.iter().rev() {
            self.raw.drain(range.clone());
        }
        named.len()
    }

    /// The byte ranges of every header field called `name`, in order.
    fn named_fields(&self, name: &str) -> Vec<Range<usize>> {
        let block = HeaderBlock::scan(&self.raw);
        block
            .fields
            .into_iter()
            .filter(|r| HeaderBlock::is_named(&self.raw, r, name))
            .collect()
    }

    fn field_bytes(&self, name: &str, value: &str) -> Result<Vec<u8>, EditError> {
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return Err(EditError::InvalidHeaderName(name.to_string()));
        }
        if value.contains(['\r', '\n']) {
            return Err(EditError::InvalidHeaderValue(value.to_string()));
        }
        let nl = newline(&self.raw);
        let mut field = format!("{name}: ").into_bytes();
        if value.is_ascii() {
            field.extend_from_slice(value.as_bytes());
        } else {
            field.extend(encoded_words(value, field.len(), nl));
        }
        field.extend_from_slice(nl);
        Ok(field)
    }

    /// Appends `text` (a footer, such as a disclaimer) to the first text/plain part that is
    /// not an attachment.
    pub fn append_text(&mut self, text: &str) -> Result<(), EditError> {
        let nl = newline(&self.raw);
        let (range, body) = {
            let parsed = mailparse::parse_mail(&self.raw).map_err(|_| EditError::NoTextPart)?;
            let base = self.raw.as_ptr() as usize;
            let part = parsed
                .parts()
                .find(|p| {
                    p.subparts.is_empty()
                        && p.ctype.mimetype == "text/plain"
                        && !super::is_attachment(p)
                })
                .ok_or(EditError::NoTextPart)?;
            let start = part.raw_bytes.as_ptr() as usize - base;
            let (_, body_offset) =
                mailparse::parse_headers(part.raw_bytes).map_err(|_| EditError::NoTextPart)?;
            let range = start + body_offset..start + part.raw_bytes.len();
            let body = rewritten_body(part, &self.raw[range.clone()], text, nl, start == 0)?;
            (range, body)
        };
        self.raw.splice(range, body);
        Ok(())
    }
}

/// The new body bytes of `part` with `text` appended.
fn rewritten_body(
    part: &ParsedMail<'_>,
    body: &[u8],
    text: &str,
    nl: &[u8],
    top_level: bool,
) -> Result<Vec<u8>, EditError> {
    let charset = part.ctype.charset.to_ascii_lowercase();
    if !text.is_ascii() && !matches!(charset.as_str(), "utf-8" | "utf8") {
        return Err(EditError::FooterNotRepresentable { charset });
    }
    let text_lines: Vec<&str> = text.lines().collect();
    let encoding = part
        .headers
        .get_first_value("Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    match encoding.trim() {
        "base64" | "quoted-printable" => {
            let mut decoded = part.get_body_raw().unwrap_or_default();
            // The decoded text keeps its own line ends; one without any takes the message's.
            let dnl = match decoded.iter().position(|&b| b == b'\n') {
                Some(i) if i > 0 && decoded[i - 1] == b'\r' => b"\r\n".as_slice(),
                Some(_) => b"\n".as_slice(),
                None => nl,
            };
            append_lines(&mut decoded, &text_lines, dnl);
            decoded.extend_from_slice(dnl);
            let encoded = if encoding.trim() == "base64" {
                BASE64_MIME.encode(&decoded).into_bytes()
            } else {
                quoted_printable::encode(&decoded)
            };
            let mut out = with_newlines(&encoded, nl);
            if top_level && !out.ends_with(b"\n") {
                out.extend_from_slice(nl);
            }
            Ok(out)
        }
        _ => {
            if !text.is_ascii() && !matches!(encoding.trim(), "8bit" | "binary") {
                return Err(EditError::FooterNotRepresentable {
                    charset: format!("{charset}, 7bit"),
                });
            }
            let mut out = body.to_vec();
            append_lines(&mut out, &text_lines, nl);
            if top_level {
                out.extend_from_slice(nl);
            }
            Ok(out)
        }
    }
}

/// Appends `lines` joined by `nl`, on a line of their own.
fn append_lines(buf: &mut Vec<u8>, lines: &[&str], nl: &[u8]) {
    if !buf.is_empty() && !buf.ends_with(b"\n") {
        buf.extend_from_slice(nl);
    }
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(nl);
        }
        buf.extend_from_slice(line.as_bytes());
    }
}

/// Rewrites every line end of `bytes` as `nl`.
fn with_newlines(bytes: &[u8], nl: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 64);
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        if lines.peek().is_some() {
            out.extend_from_slice(nl);
        }
    }
    out
}

/// RFC 2047 `B` encoded words folded so that no line passes 76 characters; the first line
/// already holds `prefix` characters (`Name: `).
fn encoded_words(value: &str, prefix: usize, nl: &[u8]) -> Vec<u8> {
    // Each word costs 12 characters of `=?UTF-8?B??=` plus 4 per 3 input bytes, and is cut on
    // character boundaries. Continuation lines start with one space.
    let budget = |used: usize| (76usize.saturating_sub(used + 12) / 4 * 3).max(6);
    let mut out = Vec::new();
    let mut chunk = String::new();
    let mut words = Vec::new();
    for c in value.chars() {
        let limit = if words.is_empty() {
            budget(prefix)
        } else {
            budget(1)
        };
        if !chunk.is_empty() && chunk.len() + c.len_utf8() > limit {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(nl);
            out.push(b' ');
        }
        out.extend_from_slice(b"=?UTF-8?B?");
        out.extend(data_encoding::BASE64.encode(word.as_bytes()).into_bytes());
        out.extend_from_slice(b"?=");
    }
    out
}
