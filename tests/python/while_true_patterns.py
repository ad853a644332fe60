tokens = iter(["5", "x", "10", "end", "99"])
total = 0
while True:
    t = next(tokens)
    if t == "end":
        break
    if not t.isdigit():
        continue
    total += int(t)
print(total, list(tokens))
n, steps = 1000, []
while n > 1:
    steps.append(n)
    n //= 3
print(steps)
queue = [3]
seen = []
while queue:
    x = queue.pop()
    seen.append(x)
    if x > 0:
        queue.extend([x - 1, x - 2])
print(len(seen), seen[:8])
