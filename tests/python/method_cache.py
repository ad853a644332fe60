# One call site meets many receivers: the method found there before must not be reused
# for another class, an instance attribute of that name, or a class changed since.


class A:
    def f(self):
        return "A.f"


class B(A):
    pass


class C:
    def f(self):
        return "C.f"


class Appender:
    def __init__(self):
        self.items = []

    def append(self, x):
        self.items.append(x * 10)


def call_f(objs):
    out = []
    for o in objs:
        out.append(o.f())
    return out


a, b, c = A(), B(), C()
print(call_f([a, a, b, c, a, b]))

# An instance attribute hides the method at the same site, then goes away again.
a.f = lambda: "instance f"
print(call_f([a, b, a]))
del a.f
print(call_f([a, b, a]))

# The class changes after the site has cached its method.
A.f = lambda self: "new A.f"
print(call_f([a, b, c]))
B.f = lambda self: "B.f"
print(call_f([a, b, c]))
del B.f
print(call_f([a, b, c]))

# A built-in and a class with a method of the same name at one site.
def add_all(targets, x):
    for t in targets:
        t.append(x)


lst, app = [], Appender()
for i in range(3):
    add_all([lst, app, lst], i)
print(lst, app.items)

# Many classes through one site, more than any cache holds.
def make(i):
    class K:
        def f(self):
            return i
    return K()


made = [make(i) for i in range(40)]
print(sum(call_f(made * 3)))

# Classes freed and made again between calls at the site (their slots are reused).
total = 0
for i in range(200):
    class T:
        def f(self, i=i):
            return i
    total += call_f([T()])[0]
    del T
print(total)
