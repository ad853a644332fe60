class Empty:
    pass
e = Empty()
e.a = 1
e.b = [2]
print(e.a, e.b, sorted(vars(e)), isinstance(e, object), type(e) is Empty, Empty.__name__)
class WithClassAttr:
    shared = []
    def add(self, x):
        self.shared.append(x)
w1, w2 = WithClassAttr(), WithClassAttr()
w1.add(1); w2.add(2)
print(WithClassAttr.shared, w1.shared is w2.shared)
class Override:
    x = "class"
o = Override()
o.x = "instance"
print(o.x, Override.x)
del o.x
print(o.x)
class Chain:
    def __init__(self):
        self.ops = []
    def a(self):
        self.ops.append("a")
        return self
    def b(self):
        self.ops.append("b")
        return self
print(Chain().a().b().a().ops)
class Singleton:
    _inst = None
    @classmethod
    def get(cls):
        if cls._inst is None:
            cls._inst = cls()
        return cls._inst
print(Singleton.get() is Singleton.get())
class Meta:
    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
    def __repr__(self):
        items = ", ".join("%s=%r" % (k, getattr(self, k)) for k in sorted(vars(self)))
        return "Meta(" + items + ")"
print(Meta(b=2, a="x"))
class Animal:
    sound = "..."
    def speak(self):
        return type(self).__name__ + " says " + self.sound
class Cat(Animal):
    sound = "meow"
class Lion(Cat):
    sound = "roar"
print([a.speak() for a in [Animal(), Cat(), Lion()]])
print(Lion.__mro__[1].__name__, issubclass(Lion, Animal), isinstance(Cat(), Lion))
bound = Cat().speak
print(bound(), callable(bound))
class Point:
    def __init__(self, x=0, y=0):
        self.x = x
        self.y = y
    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)
    __hash__ = None
try:
    {Point(): 1}
except TypeError as e:
    print("TypeError", e)
print(Point(1, 2) == Point(1, 2), Point() != Point(1))
