import re
HEADERS = "\r\n".join([
    "Received: from mx.example.com (mx.example.com [192.0.2.1])\r\n\tby relay.example.org with ESMTPS id abc123",
    "From: \"Alice Example\" <alice@example.com>",
    "To: bob@example.org,\r\n carol@example.net",
    "Subject: Quarterly report\r\n with a folded line and FREE lottery words",
    "Date: Tue, 15 Mar 2024 10:00:00 +0000",
    "Message-ID: <1234@example.com>",
    "Content-Type: text/plain; charset=utf-8",
    "X-Spam-Score: 2.5",
])
BODY = ("Hello Bob,\r\nThe numbers are in: revenue grew 12% to $1,234,567.\r\n"
        "Click here http://example.com/report?id=42 to read more. Call 555-123-4567.\r\n") * 40
RAW = HEADERS + "\r\n\r\n" + BODY
RULES = [re.compile(p, re.I) for p in [
    r"\bfree\b", r"\blottery\b", r"viagra", r"click here", r"\$\d[\d,]*(\.\d\d)?", r"https?://\S+",
    r"\d{3}-\d{3}-\d{4}", r"\b\d+%", r"unsubscribe", r"winner", r"urgent", r"act now",
    r"[A-Z]{5,}", r"!!+", r"<[^>]+@[^>]+>", r"\bbank\b", r"password", r"invoice", r"bitcoin", r"\bprize\b",
]]
def parse(raw):
    head, _, body = raw.partition("\r\n\r\n")
    head = re.sub(r"\r\n[ \t]+", " ", head)
    headers = {}
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers, body
total = 0
for i in range(60):
    headers, body = parse(RAW)
    text = headers["subject"][0] + " " + body
    hits = sum(len(r.findall(text)) for r in RULES)
    words = {}
    for w in body.lower().split():
        words[w] = words.get(w, 0) + 1
    total += hits + len(words) + len(headers)
print(total)
