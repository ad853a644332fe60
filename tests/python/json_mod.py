import json
data = {"name": "alice", "tags": ["a", "b"], "n": 3, "f": 1.5, "ok": True, "none": None, "nested": {"x": [1, {"y": 2}]}}
s = json.dumps(data)
print(s)
print(json.dumps(data, sort_keys=True))
print(json.dumps(data, indent=2, sort_keys=True))
print(json.dumps([1, "é", "\n\"q\""]), json.dumps("x"), json.dumps(None), json.dumps([]), json.dumps({}))
back = json.loads(s)
print(back == data, back["nested"]["x"][1]["y"], type(back["f"]).__name__)
print(json.loads('  [1, 2.5, -3e2, "a\\u00e9\\n", true, false, null, {"k": []}] '))
print(json.dumps({"b": 1, "a": 2}, separators=(",", ":")), json.dumps({1: "int key"}))
for bad in ['{"a": }', "[1, 2", "", "nope", '{"a" 1}', "[1] x"]:
    try:
        json.loads(bad)
    except ValueError as e:
        print("ValueError:", e)
try:
    json.dumps({"s": {1, 2}})
except TypeError as e:
    print("TypeError:", e)
