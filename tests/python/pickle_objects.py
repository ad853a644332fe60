import pickle

def rt(x):
    return pickle.loads(pickle.dumps(x))

def add(x, y=10):
    return x + y

class Animal:
    kind = "animal"
    def __init__(self, name):
        self.name = name
    def speak(self):
        return self.name + " makes a sound"

class Dog(Animal):
    def speak(self):
        return super().speak() + " (woof)"
    def __repr__(self):
        return "Dog(%r)" % self.name

class Node:
    def __init__(self, v):
        self.v = v
        self.next = None

print(rt(add)(1), rt(add)(1, 2), rt([add, add])[0](5))

d = rt(Dog("rex"))
print(d, d.speak(), d.kind, type(d).__name__, d.name)

a = Animal("cat")
b = rt([a, a, a.speak])
print(b[0] is b[1], b[2](), b[0].speak())

head = Node(0)
cur = head
for i in range(1, 50):
    cur.next = Node(i)
    cur = cur.next
cur.next = head
h2 = rt(head)
n, total = h2, 0
for _ in range(50):
    total += n.v
    n = n.next
print(total, n is h2)

class MyError(Exception):
    pass

for e in [ValueError("bad value", 3), KeyError("k"), MyError("mine"), RuntimeError()]:
    e2 = rt(e)
    print(type(e2).__name__, e2.args, str(e2), repr(e2))

e = rt(MyError("boom"))
try:
    raise e
except Exception as x:
    print("caught", type(x).__name__, x)

class Counter:
    def __init__(self):
        self.counts = {}
    def add(self, w):
        self.counts[w] = self.counts.get(w, 0) + 1
        return self

c = Counter().add("a").add("b").add("a")
c2 = rt(c)
c2.add("a")
print(sorted(c2.counts.items()), sorted(c.counts.items()))

box = {"fn": add, "obj": Dog("fido"), "items": [(1, "x"), (2, "y")]}
b2 = rt(box)
print(b2["fn"](b2["items"][1][0]), b2["obj"].speak(), b2["items"])

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __eq__(self, o):
        return isinstance(o, Point) and (self.x, self.y) == (o.x, o.y)
    def __hash__(self):
        return hash((self.x, self.y))
    def __repr__(self):
        return "Point(%d, %d)" % (self.x, self.y)

p = rt(Point(1, 2))
print(p, type(p) is Point, isinstance(p, Point), p == Point(1, 2))
table = rt({Point(0, 0): "origin", Point(1, 2): "p"})
print(table[Point(1, 2)], table[Point(0, 0)], Point(5, 5) in table)
dogs = rt([Dog("a"), Dog("b")])
print(all(isinstance(x, Animal) for x in dogs), rt(Dog) is Dog, rt(MyError) is MyError)

err = MyError("with state")
err.code = 42
e3 = rt(err)
print(type(e3).__name__, e3.args, e3.code)

class Tree:
    def __init__(self, label, kids=()):
        self.label = label
        self.kids = list(kids)
        self.parent = None
        for k in self.kids:
            k.parent = self
    def walk(self):
        out = [self.label]
        for k in self.kids:
            out.extend(k.walk())
        return out

t = Tree("root", [Tree("a", [Tree("a1")]), Tree("b")])
t2 = rt(t)
print(t2.walk(), t2.kids[0].parent is t2, t2.kids[0].kids[0].parent.parent is t2)
