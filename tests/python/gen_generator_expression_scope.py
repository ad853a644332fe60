def make(n):
    return (i * n for i in range(3))
g1, g2 = make(2), make(10)
print(list(g1), list(g2))
data = [1, 2, 3]
g = (x * 2 for x in data)
data.append(4)
print(list(g))
def lazy():
    print("started")
    yield 1
g = lazy()
print("before next")
print(next(g))
nested = ((i, j) for i in range(2) for j in (i * 10 + k for k in range(2)))
print(list(nested))
