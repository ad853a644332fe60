class Animal:
    kind = "animal"
    def __init__(self, name):
        self.name = name
    def speak(self):
        return self.name + " makes a sound"
    def __repr__(self):
        return "Animal(%r)" % self.name
class Dog(Animal):
    def speak(self):
        return super().speak() + " (woof)"
    def __str__(self):
        return "Dog " + self.name
d = Dog("rex")
print(d.speak(), d, repr(d), d.kind, Dog.kind, isinstance(d, Animal), type(d).__name__)
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __eq__(self, o):
        return isinstance(o, Point) and (self.x, self.y) == (o.x, o.y)
    def __hash__(self):
        return hash((self.x, self.y))
    def __lt__(self, o):
        return (self.x, self.y) < (o.x, o.y)
    def __add__(self, o):
        return Point(self.x + o.x, self.y + o.y)
    def __repr__(self):
        return f"P({self.x}, {self.y})"
    def __len__(self):
        return 2
    def __getitem__(self, i):
        return (self.x, self.y)[i]
    def __contains__(self, v):
        return v in (self.x, self.y)
    def __call__(self, k):
        return self.x * k
    def __bool__(self):
        return self.x != 0
a, b = Point(1, 2), Point(3, 4)
print(a + b, a == Point(1, 2), a != b, a < b, sorted([b, a]), len(a), a[1], 2 in a, 5 in a, a(10))
print(bool(Point(0, 1)), list(a), {a: 1}[Point(1, 2)], len({a, Point(1, 2), b}))
class Temp:
    def __init__(self):
        self._c = 0
    @property
    def c(self):
        return self._c
    @c.setter
    def c(self, v):
        self._c = v * 2
    @staticmethod
    def s(x):
        return x + 1
    @classmethod
    def make(cls):
        return cls()
t = Temp.make()
t.c = 5
print(t.c, Temp.s(1), t.s(2), type(t) is Temp)
class Stack:
    def __init__(self):
        self.items = []
    def __iter__(self):
        return iter(self.items)
    def push(self, x):
        self.items.append(x)
        return self
s = Stack().push(1).push(2)
print([x for x in s], hasattr(s, "push"), getattr(s, "nope", "default"))
setattr(s, "extra", 5)
print(s.extra, callable(s.push), callable(5))
class Counter:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return self
    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n
print(list(Counter(3)))
for v in Counter(2):
    print("v", v)
class Ctx:
    def __enter__(self):
        print("enter")
        return "res"
    def __exit__(self, t, v, tb):
        print("exit", t.__name__ if t else None, v)
        return True
with Ctx() as r:
    print("body", r)
with Ctx():
    raise ValueError("suppressed")
print("after")
