# Compiled patterns survive pickling: flags, groups and identity within one pickle.
import pickle
import re


class Rule:
    def __init__(self, name, pattern, flags=0):
        self.name = name
        self.pat = re.compile(pattern, flags)

    def check(self, text):
        m = self.pat.search(text)
        return None if m is None else (self.name, m.group(0), m.groups())


rules = [
    Rule("subject", r"^Subject:\s*(.*)$", re.M | re.I),
    Rule("domain", r"@(?P<d>[\w.-]+)"),
    Rule("dots", r"a.b", re.S),
]
shared = re.compile(r"(\d+)-(\d+)")
blob = pickle.dumps({"rules": rules, "twice": [shared, shared], "one": shared})
back = pickle.loads(blob)
text = "From: x@example.test\nsubject: Hello there\n\na\nb"
for r in back["rules"]:
    print(r.name, r.pat.pattern, r.pat.flags == re.compile(r.pat.pattern, r.pat.flags).flags, r.check(text))
print(back["twice"][0] is back["twice"][1], back["one"] is back["twice"][0])
print(back["one"].sub(r"\2:\1", "10-20 and 3-4"))
print(back["rules"][1].pat.groupindex["d"], back["one"].groups)
try:
    pickle.dumps(re.search("a", "cat"))
except TypeError as e:
    print("TypeError", e)
