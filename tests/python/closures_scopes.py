x = "global"
def outer():
    x = "outer"
    def inner():
        return x
    return inner
print(outer()())
def counter():
    count = [0]
    def inc():
        count[0] += 1
        return count[0]
    return inc
c = counter()
c(); c()
print(c())
def make():
    fns = []
    for i in range(3):
        def f(i=i):
            return i
        fns.append(f)
    return [f() for f in fns]
print(make())
def late():
    fns = [lambda: i for i in range(3)]
    return [f() for f in fns]
print(late())
def nonloc():
    a = 1
    def b():
        nonlocal a
        a = 2
        def c():
            nonlocal a
            a += 10
        c()
    b()
    return a
print(nonloc())
g = 0
def setg():
    global g
    g = 5
    def nested():
        return g
    return nested()
print(setg(), g)
class K:
    v = 1
    w = [v * 2 for _ in range(2)] if False else 2
    def m(self):
        return K.v
print(K().m(), K.w)
def param_cell(a):
    def get():
        return a
    a += 1
    return get()
print(param_cell(1))
