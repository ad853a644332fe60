use super::*;

const MULTI: &str = "From: Ann <ann@example.test>\r\n\
To: bob@example.test\r\n\
Subject: =?UTF-8?B?R3LDvMOfZQ==?= from Ann\r\n\
Received: from a\r\n\
Received: from b\r\n\
\x20(folded continuation)\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\
\r\n\
preamble\r\n\
--XX\r\n\
Content-Type: multipart/alternative; boundary=\"YY\"\r\n\
\r\n\
--YY\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Caf=E9 ol=E9\r\n\
--YY\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Café</p>\r\n\
--YY--\r\n\
\r\n\
--XX\r\n\
Content-Type: application/pdf; name=\"r.pdf\"\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--XX--\r\n";

fn multi() -> Message {
    Message::new(MULTI.as_bytes().to_vec())
}

#[test]
fn headers_are_decoded_and_listed_in_order() {
    let m = multi();
    assert_eq!(m.subject(), "Grüße from Ann");
    assert_eq!(m.header("to").as_deref(), Some("bob@example.test"));
    assert_eq!(
        m.headers("Received"),
        vec!["from a", "from b (folded continuation)"]
    );
    assert_eq!(
        m.header_names(),
        [
            "From",
            "To",
            "Subject",
            "Received",
            "Received",
            "MIME-Version",
            "Content-Type"
        ]
    );
    assert_eq!(m.header("X-Missing"), None);
}

#[test]
fn bodies_are_decoded_from_charset_and_transfer_encoding() {
    let m = multi();
    assert_eq!(m.text().trim_end(), "Café olé");
    assert_eq!(m.html().trim_end(), "<p>Café</p>");
}

#[test]
fn attachments_carry_name_type_size_and_data() {
    let m = multi();
    let atts = m.attachments();
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0].filename.as_deref(), Some("report.pdf"));
    assert_eq!(atts[0].content_type, "application/pdf");
    assert_eq!(atts[0].data, b"%PDF-1.4\n");
    assert_eq!(atts[0].size(), 9);
    assert_eq!(m.parts().len(), 3);
}

#[test]
fn add_header_goes_last_and_touches_nothing_else() {
    let mut m = multi();
    m.add_header("X-Filtered", "spam-words").unwrap();
    let raw = std::str::from_utf8(m.raw()).unwrap().to_string();
    let at = MULTI.find("\r\n\r\n").unwrap() + 2;
    assert_eq!(
        raw,
        format!("{}X-Filtered: spam-words\r\n{}", &MULTI[..at], &MULTI[at..])
    );
    assert_eq!(m.header("x-filtered").as_deref(), Some("spam-words"));
}

#[test]
fn set_header_replaces_in_place_and_drops_repeats() {
    let mut m = multi();
    m.set_header("received", "from c").unwrap();
    assert_eq!(m.headers("Received"), vec!["from c"]);
    let raw = std::str::from_utf8(m.raw()).unwrap();
    assert!(raw.starts_with("From: Ann <ann@example.test>\r\nTo: bob@example.test\r\nSubject: "));
    assert!(raw.contains("from Ann\r\nreceived: from c\r\nMIME-Version: 1.0\r\n"));
    let (_, tail) = MULTI.split_once("MIME-Version").unwrap();
    assert!(raw.ends_with(tail));
    m.set_header("X-New", "v").unwrap();
    assert_eq!(m.header("X-New").as_deref(), Some("v"));
}

#[test]
fn remove_header_counts_and_keeps_the_rest() {
    let mut m = multi();
    assert_eq!(m.remove_header("Received"), 2);
    assert_eq!(m.remove_header("Received"), 0);
    assert_eq!(
        m.raw().len(),
        MULTI.len() - "Received: from a\r\nReceived: from b\r\n (folded continuation)\r\n".len()
    );
    assert_eq!(m.text().trim_end(), "Café olé");
}

#[test]
fn header_injection_and_bad_names_are_refused() {
    let mut m = multi();
    assert!(matches!(
        m.add_header("X-A", "v\r\nBcc: evil@x"),
        Err(EditError::InvalidHeaderValue(_))
    ));
    assert!(matches!(
        m.add_header("Bad Name", "v"),
        Err(EditError::InvalidHeaderName(_))
    ));
    assert!(matches!(
        m.add_header("", "v"),
        Err(EditError::InvalidHeaderName(_))
    ));
    assert_eq!(m.raw(), MULTI.as_bytes());
}

#[test]
fn non_ascii_header_values_are_encoded_words() {
    let mut m = multi();
    let long = "Zürich, Genève und Köln ".repeat(5);
    m.add_header("X-Note", &long).unwrap();
    assert_eq!(m.header("X-Note").as_deref(), Some(long.as_str()));
    let raw = m.raw().to_vec();
    let field_start = raw.windows(8).position(|w| w == b"X-Note: ").unwrap();
    let field_end = field_start
        + raw[field_start..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap();
    assert!(
        raw[field_start..field_end].is_ascii(),
        "encoded words are ASCII"
    );
    for line in raw[field_start..]
        .split(|&b| b == b'\n')
        .take_while(|l| !l.is_empty() && *l != b"\r")
    {
        assert!(
            line.len() <= 78,
            "line too long: {}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn footer_in_a_plain_message_keeps_line_ends() {
    for nl in ["\r\n", "\n"] {
        let raw = format!("Subject: hi{nl}{nl}Hello{nl}Bye{nl}");
        let mut m = Message::new(raw.clone().into_bytes());
        m.append_text("--\nDisclaimer").unwrap();
        assert_eq!(
            String::from_utf8(m.raw().to_vec()).unwrap(),
            format!("{raw}--{nl}Disclaimer{nl}")
        );
    }
}

#[test]
fn footer_in_multipart_changes_only_the_text_part() {
    let mut m = multi();
    m.append_text("-- footer").unwrap();
    assert_eq!(m.text().replace("\r\n", "\n"), "Café olé\n-- footer\n");
    assert_eq!(m.html().trim_end(), "<p>Café</p>");
    let before = MULTI.as_bytes();
    let after = m.raw();
    let qp_start = MULTI.find("Caf=E9").unwrap();
    let html_start = MULTI.find("\r\n--YY\r\nContent-Type: text/html").unwrap();
    assert_eq!(
        &after[..qp_start],
        &before[..qp_start],
        "everything before the part is identical"
    );
    let tail = &before[html_start..];
    assert!(
        after.ends_with(tail),
        "everything after the part is identical"
    );
}

#[test]
fn footer_in_a_base64_part_is_reencoded() {
    let body = data_encoding::BASE64_MIME.encode("Hello in base64\r\n".as_bytes());
    let raw = format!(
        "Subject: b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}"
    );
    let mut m = Message::new(raw.into_bytes());
    m.append_text("Grüße").unwrap();
    assert_eq!(m.text().replace("\r\n", "\n"), "Hello in base64\nGrüße\n");
}

#[test]
fn unrepresentable_footers_are_refused_and_change_nothing() {
    let mut m = multi();
    let err = m.append_text("Grüße").unwrap_err();
    assert_eq!(
        err,
        EditError::FooterNotRepresentable {
            charset: "iso-8859-1".into()
        }
    );
    assert_eq!(m.raw(), MULTI.as_bytes());
    let mut html_only = Message::new(b"Content-Type: text/html\r\n\r\n<p>x</p>\r\n".to_vec());
    assert_eq!(html_only.append_text("x"), Err(EditError::NoTextPart));
}

#[test]
fn garbage_never_panics() {
    for raw in [
        &b""[..],
        b"\r\n",
        b"no colon line\r\n\r\nbody",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b"\xff\xfe: \x80\r\n\r\n\x00",
    ] {
        let mut m = Message::new(raw.to_vec());
        let _ = (m.subject(), m.text(), m.html(), m.parts(), m.header_names());
        let _ = m.add_header("X", "y");
        let _ = m.append_text("f");
        m.remove_header("X");
    }
}
