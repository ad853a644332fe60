# The message-parsing workload: split an RFC 5322 message into headers and body, unfold the
# headers, run 20 regexes over it and count the words of the body.
import re

HEADER = (
    "Return-Path: <bounce-%d@lists.example.test>\n"
    "Received: from mail.example.test (mail.example.test [192.0.2.%d])\n"
    "\tby mx.example.test with ESMTPS id %d\n"
    "\tfor <rcpt@example.test>; Tue, 4 Jun 2024 09:12:%02d +0000\n"
    "From: \"Newsletter\" <news@example.test>\n"
    "To: rcpt@example.test\n"
    "Subject: Your weekly digest,\n"
    " issue %d: FREE offers inside\n"
    "Message-ID: <%d.digest@example.test>\n"
    "Date: Tue, 4 Jun 2024 09:12:00 +0000\n"
    "List-Unsubscribe: <mailto:unsub@example.test>\n"
    "Content-Type: text/plain; charset=utf-8\n"
)
BODY_LINE = ("Hello reader, this week we have a lottery and a prize for you. Click "
        "http://example.test/offer?id=%d now! Contact sales@example.test or call "
        "+1 555 0100. Unsubscribe any time.\n")

RULES = [re.compile(p, re.I) for p in (
    r"\bfree\b", r"\blottery\b", r"\bprize\b", r"click\s+http", r"https?://[^\s]+",
    r"[\w.+-]+@[\w-]+\.\w+", r"\+?\d[\d ]{7,}\d", r"unsubscribe", r"\bviagra\b",
    r"\$\d+", r"^subject:.*free", r"^from:.*newsletter", r"^received: from \S+",
    r"\[(\d+\.){3}\d+\]", r"esmtps", r"id=\d+", r"\bnow!", r"weekly\s+digest",
    r"^list-unsubscribe:", r"charset=utf-8",
)]

score = 0
words = 0
for i in range(1500):
    raw = (HEADER % (i, i % 250, i, i % 60, i, i)) + "\n" + (BODY_LINE % i) * 12
    head, _, body = raw.partition("\n\n")
    unfolded = re.sub(r"\n[ \t]+", " ", head)
    headers = {}
    for line in unfolded.split("\n"):
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    for rule in RULES:
        if rule.search(unfolded) or rule.search(body):
            score += 1
    counts = {}
    for w in body.lower().split():
        counts[w] = counts.get(w, 0) + 1
    words += len(counts) + len(headers["received"])
print(score, words)
