d = {}
for k in ["z", "a", "m"]:
    d[k] = len(d)
print(d, list(d), list(d.values()))
d["a"] = 100
print(d)
del d["z"]
d["z"] = -1
print(d, list(d.items()))
print(d.pop("m"), d, d.popitem(), d)
x = dict(b=1, a=2)
x.update([("c", 3)])
x.update({"a": 0})
print(x, sorted(x.items(), key=lambda kv: kv[1]))
print({**x, "b": 9}, dict(x, d=4), {k: x[k] for k in reversed(list(x))})
