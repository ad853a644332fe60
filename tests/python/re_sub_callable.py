import re
def title_case(m):
    return m.group(0).capitalize()
print(re.sub(r"\b\w+\b", title_case, "the quick brown fox"))
counter = {"n": 0}
def number(m):
    counter["n"] += 1
    return "%s#%d" % (m.group(1), counter["n"])
print(re.sub(r"(item)", number, "item, item, item"))
print(re.sub(r"(?P<k>\w+)=(?P<v>\w+)", lambda m: "%s:%s" % (m.group("v"), m.group("k")), "a=1 b=2"))
masked = re.sub(r"\b(\d{4})\d{8}(\d{4})\b", r"\1********\2", "card 1234567812345678 end")
print(masked)
print(re.sub(r"[<>&]", lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[m.group()], "<a href='x'>&</a>"))
