d = {"a": 1, "b": 2}
d["c"] = 3
print(d, len(d), d["a"], d.get("z"), d.get("z", 0), "a" in d, "z" not in d)
print(list(d.keys()), list(d.values()), list(d.items()))
del d["b"]
print(d, d.pop("a"), d, d.setdefault("x", 10), d)
d.update({"y": 1}, z=2)
print(d, sorted(d), dict(a=1, b=2), dict([("k", "v")]), dict(zip("ab", [1, 2])))
print({k: v * 2 for k, v in d.items()}, {x % 3 for x in range(10)})
try:
    d["missing"]
except KeyError as e:
    print("KeyError", e, repr(e))
s = {3, 1, 2}
s.add(4)
s.discard(10)
print(sorted(s), len(s), 2 in s, sorted(s | {9}), sorted(s & {1, 2, 7}), sorted(s - {1}), sorted(s ^ {1, 100}))
print({1, 2} <= {1, 2, 3}, {1, 2} < {1, 2}, set(), frozenset([1]), {1: 2} == {1: 2})
e = {}
for w in "the cat the dog the end".split():
    e[w] = e.get(w, 0) + 1
print(e, max(e, key=e.get))
print({1: "a", 1.0: "b", True: "c"}, {(1, 2): "t"}[(1, 2)])
dd = dict.fromkeys(["a", "b"], 0)
print(dd, dd.copy() == dd, d.popitem(), {**dd, "c": 3}, {1: 1} | {2: 2})
try:
    {[1]: 2}
except TypeError as e:
    print("TypeError", e)
