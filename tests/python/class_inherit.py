class Base:
    count = 0
    def __init__(self):
        Base.count += 1
        self.id = Base.count
    def describe(self):
        return "%s#%d" % (self.name(), self.id)
    def name(self):
        return "base"
class Mid(Base):
    def name(self):
        return "mid"
class Leaf(Mid):
    def __init__(self, extra):
        super().__init__()
        self.extra = extra
    def name(self):
        return "leaf/" + super().name()
objs = [Base(), Mid(), Leaf("x")]
for o in objs:
    print(o.describe())
print(Base.count, isinstance(objs[2], Base), issubclass(Leaf, Mid), Leaf.__name__, Leaf.__bases__[0].__name__)
print([c.__name__ for c in Leaf.__mro__])
class Shape:
    def area(self):
        raise NotImplementedError("subclass must implement")
class Sq(Shape):
    def __init__(self, s):
        self.s = s
    def area(self):
        return self.s ** 2
try:
    Shape().area()
except NotImplementedError as e:
    print("NIE", e)
print(Sq(3).area())
class Registry:
    items = []
    @classmethod
    def register(cls, x):
        cls.items.append(x)
        return cls
Registry.register(1).register(2)
print(Registry.items)
class WithStr:
    def __init__(self, v):
        self.v = v
    def __str__(self):
        return "WS<%s>" % self.v
print(WithStr(1), str(WithStr(2)), [WithStr(3)][0].v, "%s" % WithStr(4), f"{WithStr(5)}")
class Vec:
    def __init__(self, *c):
        self.c = c
    def __mul__(self, k):
        return Vec(*[x * k for x in self.c])
    def __rmul__(self, k):
        return self * k
    def __neg__(self):
        return Vec(*[-x for x in self.c])
    def __repr__(self):
        return "Vec%r" % (self.c,)
    def __iadd__(self, o):
        self.c = tuple(a + b for a, b in zip(self.c, o.c))
        return self
v = Vec(1, 2)
v += Vec(10, 10)
print(v * 2, 3 * v, -v)
class Dyn:
    def __getattr__(self, name):
        return "dyn_" + name
print(Dyn().anything)
class Slots:
    def __init__(self):
        self.data = {}
    def __setitem__(self, k, v):
        self.data[k] = v
    def __getitem__(self, k):
        return self.data[k]
    def __delitem__(self, k):
        del self.data[k]
s = Slots()
s["a"] = 1
s["b"] = 2
del s["a"]
print(s.data, s["b"])
