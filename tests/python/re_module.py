import re
print(re.search(r"\d+", "abc 123 def").group())
m = re.match(r"(?P<user>[\w.]+)@(?P<host>[\w.]+)", "bob.smith@example.com rest")
print(m.group(0), m.group(1), m.group("host"), m.groups(), m.groupdict(), m.span(), m.start(2), m.end())
print(m["user"], m.group(1, 2), bool(re.match("x", "y")), re.match("a", "ba"))
print(re.fullmatch(r"\d{3}-\d{4}", "555-1234") is not None, re.fullmatch(r"\d+", "12a"))
print(re.findall(r"\b\w{4}\b", "this is some text with four char words"))
print(re.findall(r"(\w)=(\d)", "a=1 b=2 c=x"), re.findall(r"(\d)", "a1b2"))
print([m.group() for m in re.finditer(r"[A-Z]\w*", "Hello World From Python")])
print(re.sub(r"\s+", " ", "a   b \t\n c"), re.sub(r"(\w+)@(\w+)", r"\2 at \1", "me@host"))
print(re.sub(r"\d", lambda m: str(int(m.group()) * 2), "a1b2c3"), re.subn("a", "b", "aaa", count=2))
print(re.split(r"[,;]\s*", "a, b;c,d"), re.split(r"(,)", "a,b"), re.split(r"\s", "a b c", maxsplit=1))
print(re.escape("a.b*c"), re.sub(r"(?P<w>\w+)", r"<\g<w>>", "hi there"))
p = re.compile(r"^subject:\s*(.*)$", re.I | re.M)
hdrs = "From: x\nSubject: Hello World\nTo: y"
print(p.search(hdrs).group(1), p.pattern, p.groups)
print(re.findall(r"^\w+", hdrs, re.M), re.findall(r"^\w+", hdrs))
print(re.search(r"a.c", "a\nc"), re.search(r"a.c", "a\nc", re.S).group() == "a\nc")
print(re.search(r"(\w+) \1", "hello hello world").group(), re.search(r"(?i)HELLO", "say hello").span())
print(re.search(r"foo(?=bar)", "foobaz foobar").start(), re.search(r"(?<=\$)\d+", "cost: $42").group())
print(re.search(r"(?<!un)happy", "unhappy happy").start(), re.search(r"x(?!y)", "xy xz").start())
v = re.compile(r"""
    (\d{4})  # year
    -(\d{2}) # month
""", re.X)
print(v.search("date 2024-05-01").groups())
print(re.findall(r"a*", "baaa"), re.sub("x*", "-", "abc"), re.findall(r"[^aeiou\s]+", "hello world"))
print(re.search(r"colou?r", "my color").group(), re.findall(r"\d{2,3}", "1 12 123 1234"), re.findall(r"a+?", "aaa"))
SPAM = re.compile(r"\b(lottery|viagra)\b", re.I)
for subj in ["You won the LOTTERY", "lotteryx", "meeting notes"]:
    print(subj, bool(SPAM.search(subj)))
try:
    re.compile("(")
except re.error as e:
    print("re.error", type(e).__name__)
print(re.match(r"(a)(b)?", "a").groups(), re.match(r"(a)(b)?", "a").groups("-"), repr(re.match("ab", "abc")))
print(re.sub(r"[aeiou]", "", "programming"), re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", "x a@b.com, c.d@e.org"))
