import re
text = "First line\nsecond Line\nTHIRD line"
print(re.findall(r"^\w+", text), re.findall(r"^\w+", text, re.MULTILINE), re.findall(r"line$", text, re.M | re.I))
print(re.findall(r"line", text, re.IGNORECASE), re.search(r"line.second", text), re.search(r"line.second", text, re.DOTALL) is not None)
print(re.findall(r"\Aline|\AFirst", text), re.findall(r"line\Z", text), re.search(r"^second", text, flags=re.M).start())
pattern = re.compile(r"""
    ^(?P<name>[a-z]+)   # a name
    \s*:\s*             # separator
    (?P<val>.*)$        # the value
""", re.X | re.M)
print([m.groupdict() for m in pattern.finditer("host: mx1\nport : 25\nBAD: x")])
print(re.sub(r"(?i)hello", "bye", "Hello HELLO hello"), re.findall(r"(?m)^#.*$", "#a\nb\n#c"))
print(re.search(r"\bis\b", "this is it").span(), re.findall(r"\Bis\b", "this is it"))
