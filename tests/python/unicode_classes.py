# Where Python's character classes differ from the obvious ones: decimals are category Nd only,
# digits add superscripts and circled digits, numerics add the CJK numeral ideographs,
# whitespace includes U+001C-U+001F. str methods, split/strip, re's \d and \s, and
# int()/float() all agree on them.
import re

for s in ["123", "\u00b2", "\u0663", "\u2460", "\u00bd", "\u2167", "\U0001d7ce", "\u0e53\u0e54", "", "1a", "\u00b9\u00b2\u00b3", "\u4e00\u4e8c\u4e09", "\u842c", "\U0002626d", "\u4e01"]:
    print(ascii(s), s.isdigit(), s.isdecimal(), s.isnumeric())
for s in ["\x1c", "\x1f", " \t", "\u3000", "\x85", "", "a ", "\u200b"]:
    print(ascii(s), s.isspace(), s.split(), len(s.strip()))
print("a\x1cb\x1dc d".split(), "a\x1fb".rsplit(None, 1), ascii("\x1c x \x1f".strip()))
print(re.findall(r"\d+", "a\u00b2b\u0663c\u2460d\u00bd12\U0001d7ce"))
print(re.findall(r"\s", "a\x1cb\x1fc d\u3000e\u200bf"))
print(re.findall(r"[\d\s]+", "x\u0663 \u00b2y"))
print(re.findall(r"(?x) a b  # comment\n c", "abc a b c"))
# Numbers strip whitespace, but not U+001C-U+001F.
print(int("\u0663\u0661"), int(" \u0661\u0660\u3000"), float("\u0663.5"), int("\uff11\uff12"))
for bad in ["\u00b2", "\u2460", "\u00bd", "\x1c5", "5\x1f"]:
    try:
        int(bad)
    except ValueError as e:
        print("ValueError", ascii(str(e)))
    try:
        float(bad)
    except ValueError as e:
        print("ValueError", ascii(str(e)))
