# type(name, bases, namespace) makes a class as a class statement would.
class Base:
    kind = "base"

    def hello(self):
        return "hello from " + type(self).__name__

    def twice(self, x):
        return 2 * x


def init(self, n):
    self.n = n


def size(self):
    return self.n * 10


K = type("K", (Base,), {"__init__": init, "size": size, "kind": "k"})
k = K(4)
print(K.__name__, k.size(), k.kind, k.hello(), k.twice(21), isinstance(k, Base), isinstance(k, K))
E = type("E", (), {})
e = E()
print(type(e).__name__, isinstance(e, object), E.__name__)
Err = type("Err", (ValueError,), {"code": 7})
try:
    raise Err("bad")
except ValueError as x:
    print(type(x).__name__, x, x.code)
for bad in [("K", Base, {}), (1, (), {}), ("K", (), [])]:
    try:
        type(*bad)
    except TypeError as x:
        print("TypeError", x)
try:
    type("a", ())
except TypeError as x:
    print("TypeError", x)
print(type(type("Z", (), {"f": lambda self: 5})()).__name__)
