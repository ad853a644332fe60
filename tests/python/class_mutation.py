# Class namespaces changed after their attributes were looked up: every later access must
# see the change (attribute lookups on classes are cached).


class Base:
    kind = "base"

    def hello(self):
        return "hello from Base"


class Child(Base):
    pass


c = Child()
for _ in range(3):
    print(c.kind, c.hello())

Base.kind = "changed"
print(c.kind, Child.kind)


def new_hello(self):
    return "patched " + type(self).__name__


Base.hello = new_hello
print(c.hello())

Child.hello = lambda self: "child's own"
print(c.hello(), Base().hello())


class Temp:
    def __init__(self):
        self._v = 1

    def get(self):
        return self._v


t = Temp()
print(t.get())
Temp.v = property(lambda self: self._v * 10)
print(t.v)
setattr(Temp, "get", lambda self: -1)
print(t.get())

# Many short-lived classes: slots freed by the collector are reused by new classes.
results = []
def make(i):
    class K:
        n = i

    return K


for i in range(3000):
    K = make(i)
    if i % 2:
        K.n = -i
    results.append(K().n)
print(sum(results), results[:4], results[-2:])


# Calls with defaults, *args and methods, through every path.
def f(a, b=2, c=3, *rest):
    return (a, b, c, rest)


print(f(1), f(1, 5), f(1, 5, 6), f(1, 2, 3, 4), f(1, c=9))


class M:
    def m(self, x=7, *more):
        return (x, more)


print(M().m(), M().m(3), M().m(3, 4), M.m(M(), 5))
try:
    f()
except TypeError as e:
    print("TypeError:", e)
try:
    M().m(1, 2, 3, y=1)
except TypeError as e:
    print("TypeError:", e)


# Instances with many attributes, some deleted and set again.
class Bag:
    pass


b = Bag()
for i in range(40):
    setattr(b, "a%d" % i, i)
for i in range(0, 40, 3):
    delattr(b, "a%d" % i)
b.a3 = "back"
print(sum(getattr(b, "a%d" % i) for i in range(40) if i % 3 and i != 3), b.a3, hasattr(b, "a6"))
print(list(b.__dict__)[:5], len(b.__dict__))


# Properties and instance attributes: which one wins, and getters of every shape.
class P:
    def __init__(self):
        self.__dict__["shadow"] = "instance"
        self.plain = 1

    shadow = property(lambda self: "property")
    cls_attr = "class"

    @property
    def doubled(self):
        return self.plain * 2

    def method(self):
        return "method"


p = P()
print(p.shadow, p.cls_attr, p.doubled, p.plain, p.method())
p.cls_attr = "instance now"
p.method = lambda: "instance callable"
print(p.cls_attr, P.cls_attr, p.method())


def make_getter(k):
    return property(lambda self: k * self.plain)


P.tripled = make_getter(3)
print(p.tripled)
try:
    p.missing
except AttributeError as e:
    print("AttributeError:", e)
