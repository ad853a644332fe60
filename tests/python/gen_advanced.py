def acc():
    total = 0
    while True:
        v = yield total
        if v is None:
            return total
        total += v
a = acc()
next(a)
for v in [1, 2, 3]:
    print(a.send(v))
try:
    a.send(None)
except StopIteration as e:
    print("final", e.value)
def delegator():
    result = yield from acc()
    print("delegated result", result)
    yield "after"
d = delegator()
next(d)
d.send(5)
print(d.send(None))
def closer():
    try:
        while True:
            yield 1
    except GeneratorExit:
        print("closing")
        raise
c = closer()
next(c)
c.close()
print("closed")
def thrower():
    while True:
        try:
            yield
        except ValueError as e:
            print("handled", e)
t = thrower()
next(t)
t.throw(ValueError("one"))
t.throw(ValueError("two"))
def squares(n):
    for i in range(n):
        yield i * i
g = squares(3)
print(list(g), list(g))
def chain(*its):
    for it in its:
        yield from it
print(list(chain([1, 2], "ab", range(2))))
def gen_with_return():
    yield 1
    return "r"
def wrapper():
    r = yield from gen_with_return()
    yield r
print(list(wrapper()))
def early():
    yield 1
    raise ValueError("inside gen")
try:
    for v in early():
        print("got", v)
except ValueError as e:
    print("propagated", e)
gen = (x for x in [1])
print(type(gen).__name__, next(gen))
def fibs():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b
f = fibs()
print([next(f) for _ in range(10)])
