l = list(range(10))
print(l[2:8:2], l[::-2], l[-3:], l[:-7], l[100:], l[3:1], l[-100:2])
l[2:5] = ["a"]
print(l)
l[::3] = [0] * len(l[::3])
print(l)
del l[::2]
print(l)
m = [5, 2, 9, 1]
m.insert(0, 7)
m.insert(100, 8)
m.insert(-1, 6)
print(m, m.index(9), m.pop(-2), m)
print([1, 2, 3] * 0, [[0] * 2] * 2, [x for x in [] if x])
a = [1, 2, 3]
b = a
a = a + [4]
print(a, b)
c = [3, 1, 2]
print(sorted(c), c, c.sort(), c)
nested = [[3, 2], [1]]
for sub in nested:
    sub.sort()
print(nested, sum(nested, []), len(nested[0]))
print([1, 2] < [1, 2, 0], [2] > [1, 9], [1, "a"] == [1, "a"], [[1]] in [[[1]], 2])
print(list("abc") + list((1, 2)), [None] * 3, [i for i in range(3)][::-1])
stack = []
stack.append(1); stack.append(2)
print(stack.pop(), stack)
queue = [1, 2, 3]
print(queue.pop(0), queue)
print(max([[1, 2], [1, 3]]), min(["b", "a"]), [].copy(), list(reversed([])))
