print([x for x in range(5)])
print([(x, y) for x in range(3) for y in range(x)])
print({x: x * x for x in range(4)})
print({c for c in "hello"} == set("helo"))
print(list(x for x in "ab"))
print([[y for y in range(x)] for x in range(3)])
n = 10
print([x + n for x in range(3)])
def f():
    k = 5
    return [x * k for x in range(3) if x != 1]
print(f())
print(sum(x * x for x in range(10)), max(len(w) for w in ["a", "abc"]))
print(sorted({w.lower() for w in "The the THE cat".split()}))
matrix = [[1, 2, 3], [4, 5, 6]]
print([list(r) for r in zip(*matrix)])
print({k: [v for v in range(k)] for k in range(3)})
g = (i for i in range(3))
print(next(g), list(g), list(g))
print([i if i % 2 else -i for i in range(5)])
print(any(x > 3 for x in [1, 5]), all(x > 0 for x in [1, 2]))
