# re.IGNORECASE beyond ASCII: literals, classes, ranges, negated classes and backreferences,
# for the characters whose case mappings are not one-to-one.
import re

SUBJECTS = "aAkKsSiI\u212a\u017f\u0130\u0131\u00df\u1e9e\u03c3\u03c2\u03a3\u03b8\u03d1\u03f4\u00b5\u03bc\u039c\u01c4\u01c5\u01c6\u00e5\u00c5\u212b\u03c9\u2126zZ1_"

PATTERNS = [
    "k", "K", "\u212a", "s", "\u017f", "i", "I", "\u0131", "\u0130", "\u00df", "\u1e9e",
    "\u03c3", "\u03c2", "\u03b8", "\u00b5", "\u01c5", "\u00e5", "\u2126",
    "[a-z]", "[A-Z]", "[^a-z]", "[k]", "[\u212a]", "[s-t]", "[\u017f]", "[\u00df]",
    "[\u03c3]", "[\u03a3-\u03a9]", "[\u03b1-\u03c9]", "[\u01c4-\u01c6]", "[\\w]", "[^\\W]",
    "[i\u0131]", "[\u0130]", "[0-9a-f]", "[^0-9A-F]",
]

for p in PATTERNS:
    rx = re.compile(p, re.IGNORECASE)
    hits = "".join(c for c in SUBJECTS if rx.fullmatch(c))
    print(ascii(p), ascii(hits))

for p, s in [
    (r"(s)\1", "s\u017f"),
    (r"(s)\1", "sS"),
    (r"(k)\1", "k\u212a"),
    (r"(i)\1", "i\u0131"),
    (r"(i)\1", "i\u0130"),
    (r"(\u03c3)\1", "\u03c3\u03c2"),
    (r"(\u00df)\1", "\u00df\u1e9e"),
]:
    print(ascii(p), ascii(s), bool(re.fullmatch(p, s, re.I)))

print(re.findall("stra\u00dfe", "STRASSE Stra\u00dfe STRA\u1e9eE stra\u017fe", re.I))
print(re.sub("[a-z]+", "_", "\u212aelvin \u017fon \u00dfig", flags=re.I))
print(re.split("(?i)\u03c3", "a\u03a3b\u03c2c\u03c3d"))
print(ascii(["\u00e9", "\U0001f600", {"\u043a\u043b\u044e\u0447": 1}, "plain", 'q"uote\'s']))

# re.ASCII: only ASCII letters fold, and \w \d \s \b know only ASCII.
for p in ["k", "\u212a", "[a-z]", "[k\u00e9]", "\u00e9", "\\w", "\\d", "\\s", "[\\w]", "[^\\w]"]:
    rx = re.compile(p, re.IGNORECASE | re.ASCII)
    hits = "".join(c for c in SUBJECTS + "\u00e9\u00c9\u0663\u3000 " if rx.fullmatch(c))
    print("ascii", ascii(p), ascii(hits))
print(re.findall(r"(?a)\b\w+\b", "caf\u00e9 na\u00efve plain_1"))
print(re.findall(r"\b\w+\b", "caf\u00e9 na\u00efve plain_1"))
print(bool(re.fullmatch(r"(?ai)(k)\1", "k\u212a")), bool(re.fullmatch(r"(?ai)(k)\1", "kK")))
