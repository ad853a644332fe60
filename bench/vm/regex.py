# Regular expressions: search, findall, sub, split on mail-like text.
import re

text = ("Received: from mx%d.example.test (10.0.%d.%d) by relay; Mon, 3 Jun 2024 10:%02d:00 +0000\n"
        "From: user%d@example.test\nSubject: Win a FREE lottery prize %d\n")
IP = re.compile(r"\((\d+)\.(\d+)\.(\d+)\.(\d+)\)")
ADDR = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
SPAM = re.compile(r"\b(free|lottery|prize|viagra)\b", re.I)
total = 0
for i in range(6000):
    block = text % (i % 50, i % 256, (i * 7) % 256, i % 60, i, i)
    m = IP.search(block)
    total += int(m.group(4)) + len(ADDR.findall(block)) + len(SPAM.findall(block))
    total += len(re.sub(r"\d+", "#", block)) + len(re.split(r"[;,]\s*", block))
print(total)
