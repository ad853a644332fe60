//! The message model filters see: decoded headers, text and HTML bodies, attachments, and the
//! raw bytes, over mailparse; plus edits (headers, footers) that rewrite only the bytes they
//! concern, so the rest of the message stays byte-identical.
//!
//! A `Message` owns its raw bytes and parses on demand: reads are views over the current
//! bytes, and every edit produces new bytes at once, so what a filter reads after an edit is
//! what will be spooled.

mod edit;
mod header;

use mailparse::{DispositionType, MailHeaderMap, ParsedMail};

pub use edit::EditError;

/// One leaf MIME part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The MIME type, lower case (`text/plain` when the part does not say).
    pub content_type: String,
    /// From Content-Disposition `filename`, else Content-Type `name`.
    pub filename: Option<String>,
    /// Marked as an attachment, or carrying a filename.
    pub is_attachment: bool,
    /// The decoded content (transfer encoding undone; charset untouched).
    pub data: Vec<u8>,
}

impl Part {
    pub fn size(&self) -> usize {
        self.data.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    raw: Vec<u8>,
}

impl Message {
    /// Takes a message as received (CRLF or LF line ends). Never fails: whatever cannot be
    /// parsed reads as absent (no header, empty text), and the bytes are kept as they are.
    pub fn new(raw: Vec<u8>) -> Message {
        Message { raw }
    }

    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    pub fn into_raw(self) -> Vec<u8> {
        self.raw
    }

    pub fn size(&self) -> usize {
        self.raw.len()
    }

    fn parsed(&self) -> Option<ParsedMail<'_>> {
        mailparse::parse_mail(&self.raw).ok()
    }

    /// The first header of that name (case-insensitive), RFC 2047 words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed()?.headers.get_first_value(name)
    }

    /// Every header of that name, in order.
    pub fn headers(&self, name: &str) -> Vec<String> {
        self.parsed()
            .map(|p| p.headers.get_all_values(name))
            .unwrap_or_default()
    }

    /// The names of all headers in order, as written (repeats included).
    pub fn header_names(&self) -> Vec<String> {
        self.parsed()
            .map(|p| p.headers.iter().map(|h| h.get_key()).collect())
            .unwrap_or_default()
    }

    /// The decoded Subject, or "" without one.
    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The first text/plain part that is not an attachment, decoded to a string.
    pub fn text(&self) -> String {
        self.first_body("text/plain")
    }

    /// The first text/html part that is not an attachment, decoded to a string.
    pub fn html(&self) -> String {
        self.first_body("text/html")
    }

    fn first_body(&self, mimetype: &str) -> String {
        let Some(parsed) = self.parsed() else {
            return String::new();
        };
        parsed
            .parts()
            .filter(|p| p.subparts.is_empty() && p.ctype.mimetype == mimetype && !is_attachment(p))
            .find_map(|p| p.get_body().ok())
            .unwrap_or_default()
    }

    /// Every leaf part, in document order.
    pub fn parts(&self) -> Vec<Part> {
        let Some(parsed) = self.parsed() else {
            return Vec::new();
        };
        parsed
            .parts()
            .filter(|p| p.subparts.is_empty())
            .map(|p| Part {
                content_type: p.ctype.mimetype.clone(),
                filename: filename(p),
                is_attachment: is_attachment(p),
                data: p.get_body_raw().unwrap_or_default(),
            })
            .collect()
    }

    /// The leaf parts that are attachments.
    pub fn attachments(&self) -> Vec<Part> {
        self.parts()
            .into_iter()
            .filter(|p| p.is_attachment)
            .collect()
    }
}

fn filename(p: &ParsedMail<'_>) -> Option<String> {
    let disposition = p.get_content_disposition();
    disposition
        .params
        .get("filename")
        .or_else(|| p.ctype.params.get("name"))
        .cloned()
}

fn is_attachment(p: &ParsedMail<'_>) -> bool {
    p.get_content_disposition().disposition == DispositionType::Attachment || filename(p).is_some()
}

#[cfg(test)]
mod tests;
