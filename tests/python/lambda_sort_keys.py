people = [("ann", 31, "nyc"), ("bob", 25, "sf"), ("cat", 31, "la"), ("dan", 25, "nyc")]
print(sorted(people, key=lambda p: p[1]))
print(sorted(people, key=lambda p: (p[1], p[2])))
print(sorted(people, key=lambda p: (-p[1], p[0])))
by_city = {}
for name, age, city in people:
    by_city.setdefault(city, []).append(name)
print(sorted(by_city.items(), key=lambda kv: (-len(kv[1]), kv[0])))
print(max(people, key=lambda p: (p[1], p[0]))[0], min(people, key=lambda p: len(p[2]))[0])
