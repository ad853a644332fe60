def safe_div(pairs):
    for a, b in pairs:
        try:
            yield a / b
        except ZeroDivisionError:
            yield float("inf")
print(list(safe_div([(1, 2), (1, 0), (3, 4)])))
def failing():
    yield 1
    raise KeyError("gen failure")
g = failing()
print(next(g))
try:
    next(g)
except KeyError as e:
    print("caught", e)
print(list(g))
def cleanup():
    try:
        yield "a"
        yield "b"
    finally:
        print("finalized")
for x in cleanup():
    print(x)
c = cleanup()
print(next(c))
c.close()
def stop_inside():
    yield 1
    raise StopIteration
try:
    print(list(stop_inside()))
except RuntimeError as e:
    print("RuntimeError:", e)
def catch_thrown():
    try:
        yield 1
    except ValueError:
        yield "recovered"
    yield "after"
t = catch_thrown()
next(t)
print(t.throw(ValueError), next(t))
