def outer(a):
    def middle(b):
        def inner(c):
            return a + b + c
        return inner
    return middle
print(outer(1)(2)(3))
def make_multipliers():
    return {n: (lambda x, n=n: x * n) for n in range(1, 4)}
m = make_multipliers()
print([m[k](10) for k in sorted(m)])
def recursive_inner(n):
    def fact(k):
        return 1 if k < 2 else k * fact(k - 1)
    return [fact(i) for i in range(n)]
print(recursive_inner(8))
def decorator_stack():
    calls = []
    def log(tag):
        def deco(f):
            def w(*a):
                calls.append(tag)
                return f(*a)
            return w
        return deco
    @log("outer")
    @log("inner")
    def add(x, y):
        return x + y
    return add(2, 3), calls
print(decorator_stack())
