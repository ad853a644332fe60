a = {1, 2, 3}
b = {3, 4}
print(sorted(a | b), sorted(a & b), sorted(a - b), sorted(a ^ b))
print(sorted(a.union(b, [9])), sorted(a.intersection([2, 3, 7])), sorted(a.difference(b)), a.isdisjoint({7}))
print({1, 2}.issubset(a), a.issuperset({1}), len(a), 2 in a, set("aab") == {"a", "b"})
s = set()
s.add(1); s.add(1); s.update([2, 3], (4,))
print(sorted(s))
s.remove(1)
s.discard(99)
print(sorted(s), s.pop() in {2, 3, 4}, len(s))
fs = frozenset([1, 2])
print(fs, {fs: 1}[frozenset([2, 1])], sorted(fs | {3}))
try:
    s.remove(100)
except KeyError as e:
    print("KeyError", e)
t = {1, 2, 3}
t -= {1}
t |= {5}
t &= {2, 5}
print(sorted(t))
print(sorted({x * x for x in range(-3, 4)}), {1, 2} == {2, 1}, set() == set(), {1} < {1, 2})
