class Key:
    def __init__(self, a, b):
        self.a, self.b = a, b
    def __eq__(self, o):
        return isinstance(o, Key) and (self.a, self.b) == (o.a, o.b)
    def __hash__(self):
        return hash((self.a, self.b))
    def __repr__(self):
        return "Key(%r, %r)" % (self.a, self.b)
d = {Key(1, 2): "x"}
print(d[Key(1, 2)], Key(1, 2) in d, Key(2, 1) in d, len({Key(1, 1), Key(1, 1), Key(2, 2)}))
s = set()
for k in [Key(1, 1), Key(1, 1), Key(3, 3)]:
    s.add(k)
print(len(s), sorted(s, key=lambda k: k.a))
class NoEq:
    pass
a, b = NoEq(), NoEq()
print(a == a, a == b, a != b, len({a, b, a}), a in [a], b in [a])
class AlwaysEq:
    def __eq__(self, o):
        return True
    __hash__ = object.__hash__ if False else None
print(AlwaysEq() == 5, 5 == AlwaysEq(), AlwaysEq() != 5, [1, AlwaysEq()].count(7))
class NeOnly:
    def __init__(self, v):
        self.v = v
    def __eq__(self, o):
        return self.v == o.v
print(NeOnly(1) != NeOnly(1), NeOnly(1) != NeOnly(2))
