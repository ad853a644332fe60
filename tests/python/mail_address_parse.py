import re
ADDR = re.compile(r'^\s*(?:"?([^"<]*?)"?\s*)?<?([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)>?\s*$')
samples = ['Alice <alice@example.com>', 'bob@test.org', '"Carol X" <carol.x+tag@mail.co.uk>', 'broken@', '  dave@sub.example.net  ']
for s in samples:
    m = ADDR.match(s)
    if m:
        name, local, domain = m.groups()
        print(repr(name), local, domain.lower(), local + "@" + domain)
    else:
        print("invalid:", repr(s))
domains = {}
for s in samples:
    m = ADDR.match(s)
    if m:
        domains.setdefault(m.group(3).split(".")[-1], []).append(m.group(2))
print(dict(sorted(domains.items())))
