config = {
    "servers": [
        {"name": "mx1", "ports": [25, 587], "tls": True},
        {"name": "mx2", "ports": [25], "tls": False},
    ],
    "limits": {"size": 10 * 1024 * 1024, "rcpts": 100},
}
for s in config["servers"]:
    print(s["name"], s["ports"], "tls" if s["tls"] else "plain")
print(sum(len(s["ports"]) for s in config["servers"]), config["limits"]["size"] // 1024)
names = [s["name"] for s in config["servers"] if 587 in s["ports"]]
print(names)
config["servers"][1]["ports"].append(2525)
print(config["servers"][1])
def walk(obj, path=""):
    if isinstance(obj, dict):
        for k in sorted(obj):
            yield from walk(obj[k], path + "/" + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, path + "[%d]" % i)
    else:
        yield path, obj
for p, v in walk(config):
    print(p, v)
import json
print(json.dumps(config, sort_keys=True)[:80])
matrix = [[i * j for j in range(4)] for i in range(4)]
print(matrix, [row[i] for i, row in enumerate(matrix)], list(map(sum, matrix)))
