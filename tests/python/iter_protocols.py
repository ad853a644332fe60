class Range3:
    def __getitem__(self, i):
        if i >= 3:
            raise IndexError(i)
        return i * 10
print(list(Range3()), 20 in Range3())
it = iter([1, 2, 3])
print(list(it), list(it))
d = {"a": 1, "b": 2}
print(list(iter(d)), sorted(d.values()), [k for k in d])
print(list(zip(range(3), range(10, 13), "abc")))
print(list(enumerate(["x", "y"], 1)), list(map(pow, [2, 3], [3, 2])))
r = range(10, 0, -3)
print(list(r), len(r), r[1], 4 in r, 7 in r, list(reversed(range(3))))
class Tree:
    def __init__(self, v, kids=()):
        self.v, self.kids = v, kids
    def __iter__(self):
        yield self.v
        for k in self.kids:
            yield from k
t = Tree(1, [Tree(2, [Tree(3)]), Tree(4)])
print(list(t), sum(t))
calls = iter(lambda: calls_list.pop(), 0)
calls_list = [0, 1, 2]
print(list(calls))
s = "abc"
e = enumerate(s)
print(next(e), next(e))
print(sorted([[2, 1], [1, 2], [1, 1]]), min([(1, "b"), (1, "a")]))
print(list(filter(lambda v: v % 3 == 0, range(10))))
print(dict(zip(["a", "b"], [1, 2])), list(zip()))
def take(n, it):
    out = []
    for x in it:
        if len(out) == n:
            break
        out.append(x)
    return out
def naturals():
    n = 0
    while True:
        yield n
        n += 1
print(take(5, naturals()), take(3, (x * x for x in naturals())))
