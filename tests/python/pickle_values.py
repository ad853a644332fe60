import pickle

def rt(x):
    return pickle.loads(pickle.dumps(x))

data = [None, True, False, 0, -1, 2**62, -(2**63), 10**40, -(7**50), 1.5, -0.0, 1e300, 0.1,
        "", "héllo", b"", b"\x00\xff", (), (1,), [1, [2, [3]]], range(2, 20, 3)]
for x in data:
    y = rt(x)
    print(repr(y), type(y).__name__, y == x)

s = rt(slice(1, None, 2))
print(s)

floats = rt([float("nan"), float("inf"), -float("inf")])
print(floats, floats[0] != floats[0])

nested = {"a": (1, (2, 3)), "b": {"c": [(4, 5), (6,)]}, (1, "k"): {"t": ()}}
n2 = rt(nested)
print(n2, n2 == nested, n2[(1, "k")])

print(rt({1, 2, 3}), rt(frozenset([4, 5])), rt({frozenset([1]): 2}))

shared = [1, 2]
pair = rt([shared, shared, (shared,)])
print(pair, pair[0] is pair[1], pair[2][0] is pair[0])
pair[0].append(3)
print(pair)

a = []
a.append(a)
a2 = rt(a)
print(a2, a2[0] is a2, len(a2))

d = {}
d["self"] = d
d["list"] = [d]
d2 = rt(d)
print(d2["self"] is d2, d2["list"][0] is d2)

big = [i * i for i in range(2000)]
print(rt(big) == big, sum(rt(big)))

import math
print(rt(len) is len, rt(math.sqrt)(16.0), rt(abs)(-3), rt(ValueError) is ValueError)
print(rt(int) is int, rt([str, dict, KeyError])[2] is KeyError)

try:
    pickle.loads(b"garbage")
except pickle.UnpicklingError as e:
    print("UnpicklingError raised")
print(issubclass(pickle.UnpicklingError, pickle.PickleError),
      issubclass(pickle.PicklingError, Exception))
print(type(pickle.dumps([1])).__name__)

inner = frozenset([1, (2, 3)])
outer = frozenset([inner, frozenset([frozenset([4])])])
o2 = rt(outer)
print(len(o2), inner in o2, frozenset([frozenset([4])]) in o2, o2 == outer)
keyed = rt({(1, inner): "deep", b"raw": [inner], -5: None})
print(keyed[(1, frozenset([(2, 3), 1]))], keyed[b"raw"][0] == inner, keyed[-5])
views = rt([range(1, 4), (1.5, -2.25), [[], [[]], {}]])
print(views)
