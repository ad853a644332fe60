d = {}
for i in range(300_000):
    d["k%d" % (i % 5000)] = d.get("k%d" % (i % 5000), 0) + i
items = sorted(d.items(), key=lambda kv: kv[1])
lst = [v for _, v in items if v % 3]
lst.sort(reverse=True)
s = set(lst[:1000])
print(len(d), len(lst), sum(lst[:100]), len(s), items[0][0])
