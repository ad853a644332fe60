def read_lines(text):
    for line in text.split("\n"):
        yield line
def non_empty(lines):
    for l in lines:
        if l.strip():
            yield l.strip()
def numbered(lines):
    n = 0
    for l in lines:
        n += 1
        yield "%02d %s" % (n, l)
text = "alpha\n\n beta \ngamma\n"
for row in numbered(non_empty(read_lines(text))):
    print(row)
def batches(it, size):
    batch = []
    for x in it:
        batch.append(x)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
print(list(batches(range(7), 3)))
def running_avg():
    total, n = 0.0, 0
    avg = None
    while True:
        x = yield avg
        total += x
        n += 1
        avg = total / n
ra = running_avg()
next(ra)
print([ra.send(v) for v in [10, 20, 30, 40]])
def flatten(x):
    if isinstance(x, list):
        for y in x:
            yield from flatten(y)
    else:
        yield x
print(list(flatten([1, [2, [3, [4, [5]]]], 6])))
gen = (w.upper() for w in ["a", "b"])
print(" ".join(gen), list(gen))
def countdown(n):
    while n > 0:
        yield n
        n -= 1
print(sorted(countdown(5)), max(countdown(3)), 2 in countdown(3), list(enumerate(countdown(2))))
