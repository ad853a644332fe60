records = [
    {"id": 1, "tags": {"a", "b"}, "scores": [90, 85]},
    {"id": 2, "tags": {"b"}, "scores": [70]},
    {"id": 3, "tags": set(), "scores": []},
]
for r in records:
    avg = sum(r["scores"]) / len(r["scores"]) if r["scores"] else None
    print(r["id"], sorted(r["tags"]), avg)
all_tags = set()
for r in records:
    all_tags |= r["tags"]
print(sorted(all_tags), [r["id"] for r in records if "b" in r["tags"]])
index = {}
for r in records:
    for t in r["tags"]:
        index.setdefault(t, []).append(r["id"])
print(dict(sorted(index.items())))
print(sorted(records, key=lambda r: (-len(r["scores"]), r["id"]))[0]["id"])
table = [tuple(r.values())[0] for r in records]
print(table, list(zip(*[(r["id"], len(r["tags"])) for r in records])))
