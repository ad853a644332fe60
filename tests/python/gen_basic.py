def count(n):
    i = 0
    while i < n:
        yield i
        i += 1
    return "done"
print(list(count(3)), sum(count(5)))
g = count(2)
print(next(g), next(g), next(g, "end"))
def echo():
    x = yield "ready"
    while True:
        x = yield "got %s" % x
e = echo()
print(next(e), e.send(1), e.send(2))
def inner():
    yield 1
    yield 2
    return 3
def outer():
    r = yield from inner()
    yield r
print(list(outer()))
print(list(x * x for x in range(4)), sum(x for x in range(10) if x % 2))
def gen_exc():
    try:
        yield 1
        yield 2
    except ValueError as ex:
        yield "caught " + str(ex)
    finally:
        print("gen finally")
g = gen_exc()
print(next(g), g.throw(ValueError("boom")))
g.close()
def fib():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b
out = []
for v in fib():
    if v > 50:
        break
    out.append(v)
print(out)
def stop_gen():
    yield 1
    return 5
it = stop_gen()
next(it)
try:
    next(it)
except StopIteration as si:
    print("stop value", si.value)
print(list(zip(count(3), "abc")), dict(enumerate(count(2))))
def nested_gens():
    for i in range(2):
        yield from (i * 10 + j for j in range(2))
print(list(nested_gens()))
