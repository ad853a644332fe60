data = [3, 8, 1, 9, 4]
if (n := len(data)) > 3:
    print("long list", n)
big = [y for x in data if (y := x * 2) > 6]
print(big, y)
def f(items):
    found = any((hit := v) > 5 for v in items)
    return found, hit
print(f([1, 7, 9]), f([1, 2]))
def g():
    total = [s := 0]
    for v in [1, 2, 3]:
        s += v
    return total, s
print(g())
line_iter = iter(["a", "b", ""])
while (line := next(line_iter)):
    print("line", line)
print([last := i for i in range(3)], last)
