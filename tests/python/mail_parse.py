RAW = """From: Alice <alice@example.com>
To: bob@example.org,
  carol@example.net
Subject: Quarterly report
 with a folded subject
Content-Type: text/plain

Hello Bob,
The numbers are in. Revenue grew 12% and the lottery team won.
Regards, Alice
"""
def parse(raw):
    head, _, body = raw.partition("\n\n")
    headers = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        else:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return headers, body
headers, body = parse(RAW)
for name, value in headers:
    print(f"{name.lower():<14}= {value!r}")
words = {}
for w in body.lower().replace(",", " ").replace(".", " ").split():
    words[w] = words.get(w, 0) + 1
top = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
print(top)
rcpts = [a.strip() for a in dict(headers)["To"].split(",")]
print(rcpts, len(body), body.count("\n"))
def verdict(subject):
    spam = ("lottery", "viagra")
    if any(s in subject.lower() for s in spam):
        return (550, "5.7.1 spam")
    return (250, "ok")
print(verdict(dict(headers)["Subject"]), verdict("you won the LOTTERY"))
