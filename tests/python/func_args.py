def f(a, b=2, *args, c, d=4, **kw):
    return (a, b, args, c, d, sorted(kw.items()))
print(f(1, c=3))
print(f(1, 5, 6, 7, c=3, e=9))
print(f(*[1, 2, 3], **{"c": 0, "z": 1}))
def g(*, key):
    return key
print(g(key=1))
def defaults(x=[]):
    x.append(1)
    return len(x)
print(defaults(), defaults(), defaults([5]))
for call in [lambda: f(), lambda: f(1), lambda: g(1), lambda: f(1, c=1, a=2), lambda: defaults(1, 2)]:
    try:
        call()
    except TypeError as e:
        print("TypeError:", e)
def outer():
    n = 0
    def inc():
        nonlocal n
        n += 1
        return n
    return inc
c = outer()
print(c(), c(), c())
counter = 0
def bump():
    global counter
    counter += 10
bump(); bump()
print(counter)
def make_adders():
    return [lambda x, i=i: x + i for i in range(3)]
print([a(10) for a in make_adders()])
def deco(fn):
    def wrapper(*a, **k):
        return "<" + str(fn(*a, **k)) + ">"
    return wrapper
@deco
def hello(name):
    return "hi " + name
print(hello("bob"), hello.__name__)
def rec(n):
    return 0 if n == 0 else 1 + rec(n - 1)
print(rec(500))
