import json
cases = [0, -1, 1.5, "s", "", True, False, None, [], {}, [1, [2, [3]]], {"a": {"b": {"c": None}}}, "quote\"back\\slash", "tab\tnl\n", 10 ** 20, 1e-7]
for c in cases:
    s = json.dumps(c)
    print(s, json.loads(s) == c)
print(json.dumps({"z": 1, "a": [True, None]}, indent=3, sort_keys=True))
print(json.dumps([1, 2], indent=0))
print(json.dumps({"k": "v"}, separators=(",", ":"), sort_keys=True))
