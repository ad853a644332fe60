//! SMTP command lines (RFC 5321 4.1.1) and ESMTP parameters (4.1.2 `esmtp-param`).

use super::address::{ForwardPath, ReversePath, forward_path, reverse_path};
use super::error::ProtoError;

/// `BODY=` of RFC 6152. BINARYMIME is not offered, so it is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    SevenBit,
    EightBitMime,
}

/// The MAIL parameters we implement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams {
    /// The client's size estimate (RFC 1870), checked against the limit before any data.
    pub size: Option<u64>,
    pub body: Option<Body>,
    /// RFC 6531: the envelope or headers may carry UTF-8.
    pub smtputf8: bool,
    /// RFC 4954 `AUTH=`: accepted for compatibility and otherwise ignored, as Postfix does.
    pub auth: Option<String>,
}

/// RCPT takes no parameters yet (DSN's NOTIFY/ORCPT are not offered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcptParams {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    Mail {
        from: ReversePath,
        params: MailParams,
    },
    Rcpt {
        to: ForwardPath,
        params: RcptParams,
    },
    Data,
    /// RFC 3030 CHUNKING: the next `size` octets are message data, taken as they are.
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Noop,
    Quit,
    Vrfy(String),
    Help,
    StartTls,
    /// RFC 4954: the mechanism name (upper-cased) and the optional initial response.
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
}

/// Parses one command line, without its CRLF.
pub fn command(line: &str) -> Result<Command, ProtoError> {
    let (verb, args) = match line.split_once(' ') {
        Some((v, a)) => (v, a),
        None => (line, ""),
    };
    let verb = verb.to_ascii_uppercase();
    let no_args = |cmd: Command| {
        if args.trim().is_empty() {
            Ok(cmd)
        } else {
            Err(ProtoError::SyntaxInParameters("no parameters allowed"))
        }
    };
    match verb.as_str() {
        "EHLO" => Ok(Command::Ehlo(helo_name(args)?)),
        "HELO" => Ok(Command::Helo(helo_name(args)?)),
        "MAIL" => mail(args),
        "RCPT" => rcpt(args),
        "DATA" => no_args(Command::Data),
        "BDAT" => bdat(args),
        "RSET" => no_args(Command::Rset),
        // NOOP and HELP may carry an argument, which has no effect (RFC 5321 4.1.1.9, 4.1.1.8).
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help),
        "QUIT" => no_args(Command::Quit),
        "VRFY" => {
            if args.trim().is_empty() {
                Err(ProtoError::SyntaxInParameters("VRFY needs an argument"))
            } else {
                Ok(Command::Vrfy(args.trim().to_string()))
            }
        }
        "STARTTLS" => no_args(Command::StartTls),
        "AUTH" => auth(args),
        _ => Err(ProtoError::UnrecognizedCommand),
    }
}

/// The EHLO/HELO argument. RFC 5321 asks for a domain or address literal, but real clients
/// send all sorts of names (underscores, bare host names); like Postfix by default, we take any
/// printable token and leave judging it to policy.
fn helo_name(args: &str) -> Result<String, ProtoError> {
    let name = args.split(' ').find(|s| !s.is_empty()).unwrap_or("");
    if name.is_empty() {
        return Err(ProtoError::SyntaxInParameters("a domain name is required"));
    }
    if name.chars().any(char::is_control) || name.len() > 255 {
        return Err(ProtoError::SyntaxInParameters("invalid domain name"));
    }
    Ok(name.to_string())
}

/// Strips a case-insensitive `FROM:`/`TO:` prefix and the spaces some clients put after it.
fn strip_keyword<'a>(args: &'a str, keyword: &str) -> Option<&'a str> {
    let head = args.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| args[keyword.len()..].trim_start_matches(' '))
}

/// `"MAIL FROM:" Reverse-path [SP Mail-parameters]`
fn mail(args: &str) -> Result<Command, ProtoError> {
    let rest = strip_keyword(args, "FROM:").ok_or(ProtoError::SyntaxInParameters(
        "expected MAIL FROM:<address>",
    ))?;
    let (from, rest) = reverse_path(rest)?;
    let mut params = MailParams::default();
    for (keyword, value) in mail_parameters(rest)? {
        match (keyword.to_ascii_uppercase().as_str(), value) {
            ("SIZE", Some(v)) => {
                let size = v
                    .parse()
                    .map_err(|_| ProtoError::SyntaxInParameters("bad SIZE value"))?;
                params.size = Some(size);
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") => {
                params.body = Some(Body::SevenBit)
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("8BITMIME") => {
                params.body = Some(Body::EightBitMime)
            }
            ("BODY", _) => {
                return Err(ProtoError::SyntaxInParameters(
                    "BODY must be 7BIT or 8BITMIME",
                ));
            }
            ("SMTPUTF8", None) => params.smtputf8 = true,
            ("AUTH", Some(v)) => params.auth = Some(v.to_string()),
            _ => return Err(ProtoError::UnsupportedParameter(keyword.to_string())),
        }
    }
    Ok(Command::Mail { from, params })
}

/// `"RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]`
fn rcpt(args: &str) -> Result<Command, ProtoError> {
    let rest = strip_keyword(args, "TO:")
        .ok_or(ProtoError::SyntaxInParameters("expected RCPT TO:<address>"))?;
    let (to, rest) = forward_path(rest)?;
    if let Some((keyword, _)) = mail_parameters(rest)?.into_iter().next() {
        return Err(ProtoError::UnsupportedParameter(keyword.to_string()));
    }
    Ok(Command::Rcpt {
        to,
        params: RcptParams::default(),
    })
}

/// `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]` (RFC 3030).
fn bdat(args: &str) -> Result<Command, ProtoError> {
    let mut words = args.split(' ').filter(|w| !w.is_empty());
    let size = words
        .next()
        .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|w| w.parse::<u64>().ok())
        .ok_or(ProtoError::SyntaxInParameters("BDAT needs a chunk size"))?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => {
            return Err(ProtoError::SyntaxInParameters(
                "expected BDAT <size> [LAST]",
            ));
        }
    };
    if words.next().is_some() {
        return Err(ProtoError::SyntaxInParameters(
            "expected BDAT <size> [LAST]",
        ));
    }
    Ok(Command::Bdat { size, last })
}

/// `"AUTH" SP sasl-mech [SP initial-response]` (RFC 4954 4).
fn auth(args: &str) -> Result<Command, ProtoError> {
    let mut words = args.split(' ').filter(|w| !w.is_empty());
    let mechanism = words
        .next()
        .ok_or(ProtoError::SyntaxInParameters("AUTH needs a mechanism"))?;
    let initial = words.next().map(str::to_string);
    if words.next().is_some() {
        return Err(ProtoError::SyntaxInParameters(
            "expected AUTH <mechanism> [initial-response]",
        ));
    }
    Ok(Command::Auth {
        mechanism: mechanism.to_ascii_uppercase(),
        initial,
    })
}

/// `Mail-parameters = esmtp-param *(SP esmtp-param)`, after the path. Empty input is no
/// parameters; otherwise the input must begin with a space.
pub fn mail_parameters(input: &str) -> Result<Vec<(&str, Option<&str>)>, ProtoError> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    if !input.starts_with(' ') {
        return Err(ProtoError::SyntaxInParameters("junk after address"));
    }
    input
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(esmtp_param)
        .collect()
}

/// `esmtp-param = esmtp-keyword ["=" esmtp-value]`, where
/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")` and
/// `esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)`.
pub fn esmtp_param(input: &str) -> Result<(&str, Option<&str>), ProtoError> {
    let (keyword, value) = match input.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (input, None),
    };
    let kw_ok = keyword
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphanumeric)
        && keyword
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !kw_ok {
        return Err(ProtoError::SyntaxInParameters("bad parameter keyword"));
    }
    if let Some(v) = value {
        let v_ok = !v.is_empty()
            && v.chars()
                .all(|c| (c.is_ascii_graphic() && c != '=') || (!c.is_ascii() && !c.is_control()));
        if !v_ok {
            return Err(ProtoError::SyntaxInParameters("bad parameter value"));
        }
    }
    Ok((keyword, value))
}
