def make_counters():
    counters = []
    for start in (0, 10):
        count = start
        def inc(step=1, _start=start):
            nonlocal count
            count += step
            return count
        counters.append(inc)
    return counters
a, b = make_counters()
print(a(), a(), b(), b(5))
def builders():
    fs = []
    i = 0
    while i < 3:
        fs.append(lambda i=i: i * i)
        i += 1
    return [f() for f in fs]
print(builders())
