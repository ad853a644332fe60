import re
RULES = [
    (re.compile(r"\bfree\b", re.I), 1.5),
    (re.compile(r"\$\d+"), 1.0),
    (re.compile(r"!!+"), 0.8),
    (re.compile(r"\b(click|act) (here|now)\b", re.I), 2.0),
    (re.compile(r"[A-Z]{6,}"), 1.2),
]
def score(text):
    s = 0.0
    hits = []
    for rx, w in RULES:
        n = len(rx.findall(text))
        if n:
            s += w * n
            hits.append((rx.pattern, n))
    return round(s, 2), hits
msgs = ["Meeting moved to 3pm", "FREE money!!! Click here to claim $500", "URGENT: act now, FREE FREE free"]
for m in msgs:
    print(score(m))
