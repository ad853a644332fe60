import re
m = re.match(r"(a)?(b)?c", "bc")
print(m.groups(), m.groups(""), m.group(1), m.span(1), m.start(2), m.lastindex)
m = re.search(r"((\w)(\w))", "xy")
print(m.groups(), m.group(0, 1, 2, 3), len(m.groups()))
m = re.fullmatch(r"(?P<a>\d+)(?:-(?P<b>\d+))?", "12")
print(m.groupdict(), m.groupdict("none"), m["a"], m.re.pattern)
print(re.findall(r"(a)|(b)", "ab"), re.findall(r"((a)b)", "abab"))
print(re.split(r"(-)|(\+)", "1-2+3"), re.split(r"\d", "a1b2c"), re.split(r",", ""))
for m in re.finditer(r"(?P<word>\w+)@(?P<dom>\w+)", "x@y, z@w"):
    print(m.group("word"), m.group("dom"), m.span())
