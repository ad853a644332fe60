names = ["bob", "Alice", "carol", "Dave", "alice", "Bob"]
print(sorted(names), sorted(names, key=str.lower), sorted(names, key=lambda s: (s.lower(), s)))
print(max(names), min(names), sorted(names, key=len, reverse=True))
print("a" < "B", "a".lower() < "B".lower(), sorted(["a10", "a2", "a1"]), sorted(["é", "e", "f"]))
print([n for n in names if n[0].isupper()], [n.swapcase() for n in names[:2]])
