d = {"one": 1, "two": 2, "three": 3}
for k in d:
    print(k, d[k])
for k, v in d.items():
    print(f"{k}={v}")
print([k for k, v in d.items() if v > 1])
print({v: k for k, v in d.items()})
print(sum(d.values()), max(d, key=d.get), min(d.items(), key=lambda kv: kv[1]))
try:
    for k in d:
        d["new"] = 0
except RuntimeError as e:
    print("RuntimeError")
e = dict.fromkeys("abc")
print(e, list(e.keys()))
grouped = {}
for word in ["apple", "avocado", "banana", "blueberry", "cherry"]:
    grouped.setdefault(word[0], []).append(word)
print(grouped)
merged = {**{"a": 1}, **{"a": 2, "b": 3}}
print(merged, list(merged.items()))
keys = ["x", "y"]
vals = [1, 2]
print(dict(zip(keys, vals)), list(zip(keys, vals)))
