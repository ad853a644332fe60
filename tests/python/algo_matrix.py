def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]
def identity(n):
    return [[1 if i == j else 0 for j in range(n)] for i in range(n)]
def mpow(m, e):
    r = identity(len(m))
    while e:
        if e & 1:
            r = matmul(r, m)
        m = matmul(m, m)
        e >>= 1
    return r
fib = mpow([[1, 1], [1, 0]], 90)
print(fib[0][1], matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]))
t = [[1, 2, 3], [4, 5, 6]]
print([list(col) for col in zip(*t)], [[row[i] for row in t] for i in range(3)])
