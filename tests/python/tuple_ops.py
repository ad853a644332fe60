t = (1, 2, 3)
print(t, t[0], t[-1], t[1:], len(t), t + (4,), t * 2, 2 in t, t.index(2), t.count(1))
print((1,), (), tuple("ab"), tuple(range(3)), (1, 2) < (1, 3), (1, 2) == (1, 2), max((1, 5), (2, 0)))
a, b, c = t
print(a + b + c)
nested = ((1, 2), (3, 4))
print([x for p in nested for x in p], dict(nested))
print(hash((1, 2)) == hash((1, 2)), {(1, "a"): "v"}[(1, "a")])
try:
    t[0] = 5
except TypeError as e:
    print(e)
try:
    t[10]
except IndexError as e:
    print(e)
print(sorted([(1, "b"), (0, "z"), (1, "a")]), list(zip(*[(1, 2), (3, 4)])))
print(tuple(sorted((3, 1, 2))), (1, 2, 3)[::-1], (0,) * 3)
