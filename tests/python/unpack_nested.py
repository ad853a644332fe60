data = [("alice", (30, "NYC")), ("bob", (25, "LA"))]
for name, (age, city) in data:
    print(name, age, city)
(a, b), c = [1, 2], 3
print(a, b, c)
[x, [y, z]] = (1, (2, 3))
print(x, y, z)
first, *middle, last = range(10)
print(first, middle, last)
head, *tail = [1]
print(head, tail)
*init, = "abc"
print(init)
pairs = dict([("a", 1), ("b", 2)])
for (k, v), i in zip(pairs.items(), range(2)):
    print(k, v, i)
m = [[1, 2], [3, 4]]
(p, q), (r, s) = m
print(p + s, q + r)
