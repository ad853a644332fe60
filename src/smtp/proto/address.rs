//! Addresses and paths, one function per RFC 5321 4.1.2 non-terminal (with the RFC 6531
//! SMTPUTF8 extension of `atext`, `qtextSMTP` and `sub-domain` to non-ASCII UTF-8).

use std::fmt;

use super::error::ProtoError;

/// The part after `@`: a domain name or an address literal such as `[192.0.2.1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Name(String),
    /// The literal without its brackets, e.g. `192.0.2.1` or `IPv6:2001:db8::1`.
    Literal(String),
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Name(n) => f.write_str(n),
            Domain::Literal(l) => write!(f, "[{l}]"),
        }
    }
}

/// `Local-part "@" ( Domain / address-literal )`. The local part keeps its quotes when quoted,
/// so that `Display` reproduces what the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub local: String,
    pub domain: Domain,
}

impl Mailbox {
    /// True if any part needs SMTPUTF8 (RFC 6531): the sender must have asked for it.
    pub fn is_utf8(&self) -> bool {
        !self.local.is_ascii() || !self.domain.to_string().is_ascii()
    }

    /// The local part with quoting removed: `"a b"` gives `a b`.
    pub fn local_unquoted(&self) -> String {
        match self
            .local
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
        {
            Some(inner) => {
                let mut out = String::with_capacity(inner.len());
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            None => self.local.clone(),
        }
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// `Reverse-path = Path / "<>"`: `None` is the null sender of bounces.
pub type ReversePath = Option<Mailbox>;

/// `Forward-path = Path`, plus the special `<Postmaster>` without a domain (RFC 5321 4.1.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardPath {
    Postmaster,
    Mailbox(Mailbox),
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("Postmaster"),
            ForwardPath::Mailbox(m) => m.fmt(f),
        }
    }
}

fn bad(sender: bool, why: &'static str) -> ProtoError {
    ProtoError::BadAddress { sender, why }
}

/// Parses `Reverse-path` at the start of `input`; returns it and the rest of the input.
pub fn reverse_path(input: &str) -> Result<(ReversePath, &str), ProtoError> {
    if let Some(rest) = input.strip_prefix("<>") {
        return Ok((None, rest));
    }
    let (m, rest) = path(input, true)?;
    Ok((Some(m), rest))
}

/// Parses `Forward-path` (or `<Postmaster>`) at the start of `input`.
pub fn forward_path(input: &str) -> Result<(ForwardPath, &str), ProtoError> {
    if input.len() >= 12 && input.is_char_boundary(12) {
        let (head, rest) = input.split_at(12);
        if head.eq_ignore_ascii_case("<postmaster>") {
            return Ok((ForwardPath::Postmaster, rest));
        }
    }
    let (m, rest) = path(input, false)?;
    Ok((ForwardPath::Mailbox(m), rest))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`. The source route (`A-d-l`) is parsed and ignored,
/// as RFC 5321 4.1.1.3 tells servers to do.
fn path(input: &str, sender: bool) -> Result<(Mailbox, &str), ProtoError> {
    let mut rest = input.strip_prefix('<').ok_or(bad(sender, "missing '<'"))?;
    if rest.starts_with('@') {
        rest = a_d_l(rest).map_err(|_| bad(sender, "bad source route"))?;
        rest = rest
            .strip_prefix(':')
            .ok_or(bad(sender, "bad source route"))?;
    }
    let (m, rest) = mailbox_inner(rest, sender)?;
    let rest = rest.strip_prefix('>').ok_or(bad(sender, "missing '>'"))?;
    Ok((m, rest))
}

/// `A-d-l = At-domain *( "," At-domain )`, `At-domain = "@" Domain`.
fn a_d_l(mut input: &str) -> Result<&str, ()> {
    loop {
        input = input.strip_prefix('@').ok_or(())?;
        let (_, rest) = domain(input).map_err(|_| ())?;
        input = rest;
        match input.strip_prefix(',') {
            Some(r) => input = r,
            None => return Ok(input),
        }
    }
}

/// Parses `Mailbox` at the start of `input`.
pub fn mailbox(input: &str) -> Result<(Mailbox, &str), ProtoError> {
    mailbox_inner(input, false)
}

fn mailbox_inner(input: &str, sender: bool) -> Result<(Mailbox, &str), ProtoError> {
    let (local, rest) = local_part(input).ok_or(bad(sender, "bad local part"))?;
    if local.len() > 64 {
        // RFC 5321 4.5.3.1.1
        return Err(bad(sender, "local part longer than 64 octets"));
    }
    let rest = rest
        .strip_prefix('@')
        .ok_or(bad(sender, "missing '@domain'"))?;
    let (domain, rest) = if rest.starts_with('[') {
        address_literal(rest).ok_or(bad(sender, "bad address literal"))?
    } else {
        domain(rest).map_err(|_| bad(sender, "bad domain"))?
    };
    Ok((
        Mailbox {
            local: local.to_string(),
            domain,
        },
        rest,
    ))
}

/// `Local-part = Dot-string / Quoted-string`; returns the raw text (quotes kept).
fn local_part(input: &str) -> Option<(&str, &str)> {
    let len = if input.starts_with('"') {
        quoted_string(input)?
    } else {
        dot_string(input)?
    };
    Some(input.split_at(len))
}

/// `Dot-string = Atom *("." Atom)`; returns the length matched.
fn dot_string(input: &str) -> Option<usize> {
    let mut len = atom(input)?;
    while input[len..].starts_with('.') {
        len += 1 + atom(&input[len + 1..])?;
    }
    Some(len)
}

/// `Atom = 1*atext`; returns the length matched.
fn atom(input: &str) -> Option<usize> {
    let len: usize = input
        .chars()
        .take_while(|&c| atext(c))
        .map(char::len_utf8)
        .sum();
    (len > 0).then_some(len)
}

/// RFC 5322 `atext`, widened to non-ASCII by RFC 6531.
fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && !c.is_control())
}

/// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`; returns the length with both quotes.
fn quoted_string(input: &str) -> Option<usize> {
    let mut chars = input.char_indices();
    chars.next().filter(|&(_, c)| c == '"')?;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some(i + 1),
            // quoted-pairSMTP = %d92 %d32-126
            '\\' => {
                chars.next().filter(|&(_, n)| (' '..='~').contains(&n))?;
            }
            // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF8-non-ascii
            c if (' '..='~').contains(&c) || (!c.is_ascii() && !c.is_control()) => {}
            _ => return None,
        }
    }
    None
}

/// Parses `Domain = sub-domain *("." sub-domain)` at the start of `input`.
pub fn domain(input: &str) -> Result<(Domain, &str), ProtoError> {
    let err = || ProtoError::SyntaxInParameters("bad domain");
    let mut len = sub_domain(input).ok_or_else(err)?;
    while input[len..].starts_with('.') {
        match sub_domain(&input[len + 1..]) {
            Some(n) => len += 1 + n,
            // A trailing dot ("example.com.") is a common client quirk; reject it clearly.
            None => return Err(err()),
        }
    }
    if len > 255 {
        // RFC 5321 4.5.3.1.2
        return Err(err());
    }
    let (d, rest) = input.split_at(len);
    Ok((Domain::Name(d.to_string()), rest))
}

/// `sub-domain = Let-dig [Ldh-str]`: letters, digits and inner hyphens (U-labels allowed).
fn sub_domain(input: &str) -> Option<usize> {
    let let_dig = |c: char| {
        c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    let text: &str = {
        let len: usize = input
            .chars()
            .take_while(|&c| let_dig(c) || c == '-')
            .map(char::len_utf8)
            .sum();
        &input[..len]
    };
    let first = text.chars().next()?;
    if !let_dig(first) || text.ends_with('-') || text.len() > 63 {
        return None;
    }
    Some(text.len())
}

/// `address-literal = "[" ( IPv4 / IPv6 / General-address-literal ) "]"`.
fn address_literal(input: &str) -> Option<(Domain, &str)> {
    let inner_end = input.find(']')?;
    let inner = input.get(1..inner_end)?;
    let rest = &input[inner_end + 1..];
    let valid = if let Some(v6) = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
    {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else if inner.parse::<std::net::Ipv4Addr>().is_ok() {
        true
    } else {
        // General-address-literal = Standardized-tag ":" 1*dcontent
        match inner.split_once(':') {
            Some((tag, content)) => {
                sub_domain(tag) == Some(tag.len())
                    && !content.is_empty()
                    && content
                        .chars()
                        .all(|c| ('!'..='Z').contains(&c) || ('^'..='~').contains(&c))
            }
            None => false,
        }
    };
    valid.then(|| (Domain::Literal(inner.to_string()), rest))
}
