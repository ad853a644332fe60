a, b = 1, 2
a, b = b, a
print(a, b)
x, (y, z) = 1, (2, 3)
print(x, y, z)
first, *rest = "hello"
print(first, rest)
*init, last = [1, 2, 3]
print(init, last)
a, *m, b = range(6)
print(a, m, b)
for i, (k, v) in enumerate({"a": 1, "b": 2}.items()):
    print(i, k, v)
print(*[1, 2, 3], sep="-")
print(*"ab", *[1], end="!\n")
t = (*range(3), *"xy")
print(t, [*t[:2], 9], {*[1, 2], 3}, {**{"a": 1}, **{"b": 2}})
def f(*args, **kw):
    return args, kw
print(f(*[1, 2], *(3,), **{"x": 1}, y=2))
try:
    a, b = [1, 2, 3]
except ValueError as e:
    print(e)
try:
    a, b, c = [1, 2]
except ValueError as e:
    print(e)
l = [1, 2, 3, 4, 5, 6]
l[::2] = [0, 0, 0]
print(l)
l[1:5] = []
print(l)
i = j = 5
print(i, j)
d = {}
d["x"] = d["y"] = []
d["x"].append(1)
print(d)
