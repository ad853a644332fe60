d = {"b": 2, "a": 1}
print(len(d.keys()), "a" in d.keys(), sorted(d.values()), list(d.items())[0])
for k in d.keys():
    print(k)
for k, v in sorted(d.items()):
    print(k, v)
print(list(d), [k for k in d.values()])
d2 = dict(d)
d2["c"] = 3
print(d == d2, d != d2, len(d2))
nested = {"x": {"y": {"z": 1}}}
print(nested["x"]["y"]["z"], nested.get("x").get("q", "dflt"))
counts = {}
for ch in "mississippi":
    counts[ch] = counts.get(ch, 0) + 1
print(counts, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
inv = {v: k for k, v in {"a": 1, "b": 2}.items()}
print(inv)
d3 = {}
d3.setdefault("l", []).append(1)
d3.setdefault("l", []).append(2)
print(d3)
print({i: i for i in range(3)}.pop(1), dict(a=1).get("a"))
del d2["a"]
d2["a"] = 9
print(list(d2))
v = {"x": 1, "y": 2}
ks, vs, its = v.keys(), v.values(), v.items()
v["z"] = 3
print(ks, vs, its, len(ks), "z" in ks, ("x", 1) in its, 3 in vs, type(ks).__name__)
print(list(reversed(list(ks))), sorted(vs, reverse=True), bool({}.keys()))
