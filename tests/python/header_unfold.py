import re
raw = "Received: from mx.example.com\r\n\tby relay; Tue, 1 Jan 2030\r\nSubject: =?utf-8?q?hi?=\r\n  continued\r\nX-Spam-Score: 4.2\r\nTo: a@x.org, b@y.org\r\n\r\nbody text here\r\n"
head, body = raw.split("\r\n\r\n", 1)
unfolded = re.sub(r"\r\n[ \t]+", " ", head)
headers = {}
for line in unfolded.split("\r\n"):
    name, value = line.split(":", 1)
    headers.setdefault(name.strip().lower(), []).append(value.strip())
for k in sorted(headers):
    print(k, headers[k])
score = float(headers["x-spam-score"][0])
print("spam" if score > 5 else "ham", score)
addrs = re.findall(r"[\w.]+@[\w.]+", headers["to"][0])
print(addrs, [a.split("@")[1] for a in addrs])
print(body.strip().split(), len(body))
m = re.match(r"from (\S+)\s+by (\w+);\s*(.*)", headers["received"][0])
print(m.groups() if m else None)
