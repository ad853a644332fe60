from math import sqrt
square = lambda x: x * x
compose = lambda f, g: lambda x: f(g(x))
print(square(5), compose(square, abs)(-3), (lambda: "noargs")())
print(list(map(lambda p: p[0] * p[1], [(1, 2), (3, 4)])), sorted(["aa", "b", "ccc"], key=lambda s: -len(s)))
pipeline = [lambda x: x + 1, lambda x: x * 2, sqrt]
v = 7
for f in pipeline:
    v = f(v)
print(v)
def apply_n(f, n, x):
    for _ in range(n):
        x = f(x)
    return x
print(apply_n(lambda y: y * 2, 10, 1))
def curry(f):
    return lambda a: lambda b: f(a, b)
print(curry(lambda a, b: a - b)(10)(3))
people = [{"name": "b", "age": 30}, {"name": "a", "age": 25}, {"name": "c", "age": 30}]
print([p["name"] for p in sorted(people, key=lambda p: (-p["age"], p["name"]))])
print(max(people, key=lambda p: p["age"])["name"], min(people, key=lambda p: p["age"])["name"])
print(list(filter(lambda p: p["age"] > 26, people)) == [people[0], people[2]])
acc = []
list(map(acc.append, range(3)))
print(acc)
def memo(f):
    cache = {}
    def wrapped(n):
        if n not in cache:
            cache[n] = f(n)
        return cache[n]
    return wrapped
@memo
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print(fib(80))
def deco_with_args(prefix):
    def deco(f):
        def w(*a):
            return prefix + str(f(*a))
        return w
    return deco
@deco_with_args(">> ")
def add(a, b):
    return a + b
print(add(2, 3))
