# Character classes over ASCII and beyond, with and without IGNORECASE and negation.
import re

text = "Hello, World! ÀÉÎ àéî _under_score 42 tabs\tand\nnewlines Σσ KELVIN"
patterns = [
    r"[a-z]+",
    r"[A-Z]+",
    r"[^a-z\s]+",
    r"[\w]+",
    r"[\W]+",
    r"[^\W\d]+",
    r"[\s,!]+",
    r"[à-ï]+",
    r"[^A-Z]+",
    r"[k]+",
    r"[σ]+",
    r"\d+",
    r"[0-9a-f]+",
]
for p in patterns:
    for flags in (0, re.I):
        print(p, int(flags), re.findall(p, text, flags))
