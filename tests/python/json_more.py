import json
msg = {"from": "a@b.c", "rcpt": ["x@y.z", "w@v.u"], "size": 1024, "spam": 0.25, "flags": {"tls": True, "auth": None}}
enc = json.dumps(msg, sort_keys=True, indent=4)
print(enc)
print(json.loads(enc) == msg)
print(json.dumps("unicode é ü 日本"), json.dumps("unicode é", ensure_ascii=False))
print(json.dumps([1.0, 2.5, 1e20, -0.0, 10 ** 20]), json.dumps((1, 2)))
print(json.loads("1e5"), json.loads("-0"), json.loads('"\\ud83d\\ude00"') == "\U0001F600", json.loads(' {"a" : [ ] } '))
print(json.dumps({"a": [1, {"b": []}]}, indent=1))
print(json.dumps([[], {}], indent=2))
print(json.loads("[1, 2, 3]")[1:], json.loads('{"x": {"y": "z"}}')["x"]["y"])
