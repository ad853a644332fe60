n = 27
steps = 0
while n != 1:
    n = n // 2 if n % 2 == 0 else 3 * n + 1
    steps += 1
print(steps)
i = 0
found = None
while i < 10:
    i += 1
    if i % 7 == 0:
        found = i
        break
else:
    found = -1
print(found)
a, b = 0, 1
out = []
while len(out) < 10:
    out.append(a)
    a, b = b, a + b
print(out)
stack = [1, [2, [3, [4]]]]
flat = []
while stack:
    item = stack.pop()
    if isinstance(item, list):
        stack.extend(item)
    else:
        flat.append(item)
print(sorted(flat))
count = 0
while True:
    count += 1
    if count < 5:
        continue
    break
print(count)
primes = []
for n in range(2, 50):
    for p in primes:
        if n % p == 0:
            break
    else:
        primes.append(n)
print(primes)
