# Dict and list work: building, lookups, sorting, comprehensions.
counts = {}
for i in range(200000):
    k = "k%d" % (i % 997)
    counts[k] = counts.get(k, 0) + i % 13
items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
squares = [x * x for x in range(100000) if x % 3]
evens = {x: x // 2 for x in range(0, 50000, 2)}
stack = []
for x in range(100000):
    stack.append(x)
    if x % 3 == 0:
        stack.pop()
print(items[0], items[-1], len(squares), sum(squares) % 1000003, len(evens), len(stack))
