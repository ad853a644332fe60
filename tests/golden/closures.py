def counter(start=0, *, step=1):
    n = start
    def inc():
        nonlocal n
        n += step
        return n
    return inc

c = counter(step=2)
print(c(), [x * 2 for x in range(3) if x])
