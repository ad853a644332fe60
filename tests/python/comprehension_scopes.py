x = "outer"
lst = [x for x in range(3)]
print(x, lst)
class K:
    base = [1, 2]
    doubled = [b * 2 for b in base]
print(K.doubled)
def f():
    y = 10
    return [y + i for i in range(3)], list(y * i for i in range(2)), {i: y for i in range(2)}
print(f())
matrix = [[1, 2], [3, 4]]
print([[c * 10 for c in row] for row in matrix], [c for row in matrix for c in row if c % 2 == 0])
print([(i, j) for i in range(3) if i for j in range(i)], {v for row in matrix for v in row})
gen = (a * b for a in range(3) for b in range(3) if a != b)
print(sorted(gen))
