a = [3, 1, 2]
a.append(5)
a.extend([9, 0])
a.insert(1, 7)
print(a, len(a), a.pop(), a.pop(0), a)
a.remove(7)
a.sort()
print(a, a.index(3), a.count(1))
a.reverse()
print(a, a[::-1], a[1:3], a[-1], a[-2:])
b = a.copy()
b[0] = 100
print(a, b, a + b, a * 2)
a[1:3] = [10, 20, 30]
print(a)
del a[0]
del a[1:3]
print(a)
print(sorted([5, 2, 8], reverse=True), sorted(["bb", "a", "ccc"], key=len))
nested = [[1, 2], [3, 4]]
print([x for row in nested for x in row], [[r[i] for r in nested] for i in range(2)])
print(list(range(5)), list(range(2, 10, 3)), list(range(10, 0, -2)), range(5)[2])
print(max([1, 5, 3]), min([4, 2, 8]), max("abc"), min([3, 1], default=0), max([], default=None))
print(max([1, -5, 3], key=abs), sum([1, 2, 3]), sum([0.5, 0.25]), any([0, 1]), all([1, 0]))
x, *y, z = [1, 2, 3, 4, 5]
print(x, y, z)
(p, q), r = (1, 2), 3
print(p, q, r)
print([1, 2] == [1, 2], [1, 2] < [1, 3], [] == [], [1, [2]] == [1, [2]])
c = [0] * 3
c[1] += 5
print(c, list(enumerate("ab")), list(zip([1, 2], "ab", [True, False])))
print(list(map(lambda v: v * 2, [1, 2])), list(filter(None, [0, 1, 2, ""])), list(reversed([1, 2, 3])))
l = [1, 2, 3]
l += [4]
l *= 2
print(l, 3 in l, l.clear(), l)
