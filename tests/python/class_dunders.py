class Money:
    def __init__(self, cents):
        self.cents = cents
    def __repr__(self):
        return "Money(%d)" % self.cents
    def __str__(self):
        return "$%d.%02d" % divmod(self.cents, 100)
    def __eq__(self, other):
        return isinstance(other, Money) and self.cents == other.cents
    def __lt__(self, other):
        return self.cents < other.cents
    def __le__(self, other):
        return self.cents <= other.cents
    def __hash__(self):
        return hash(self.cents)
    def __add__(self, other):
        if isinstance(other, int):
            return Money(self.cents + other)
        return Money(self.cents + other.cents)
    def __radd__(self, other):
        return self.__add__(other)
    def __sub__(self, other):
        return Money(self.cents - other.cents)
    def __mul__(self, k):
        return Money(self.cents * k)
    def __truediv__(self, k):
        return Money(self.cents // k)
    def __neg__(self):
        return Money(-self.cents)
    def __bool__(self):
        return self.cents != 0
    def __len__(self):
        return len(str(self))
    def __format__(self, spec):
        return format(str(self), spec)
a, b = Money(150), Money(275)
print(a, b, repr(a), a + b, b - a, a * 3, b / 2, -a, sum([a, b]), sum([a, b], Money(0)))
print(a == Money(150), a != b, a < b, a <= a, b > a, b >= a, sorted([b, a]), max(a, b), min([b, a]))
print(bool(Money(0)), len(a), f"{a:>8}|", {a: 1}[Money(150)], a in [Money(150)], [a, b].index(Money(275)))
class Seq:
    def __init__(self, n):
        self.n = n
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(range(self.n))[i]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError("out")
        return i * i
    def __contains__(self, x):
        return x == 42
    def __iter__(self):
        return (self[i] for i in range(self.n))
    def __reversed__(self):
        return iter([self[i] for i in range(self.n - 1, -1, -1)])
s = Seq(4)
print(len(s), s[2], s[-1], s[1:3], list(s), 42 in s, 3 in s, list(reversed(s)), bool(Seq(0)))
class Cmp:
    def __init__(self, v):
        self.v = v
    def __gt__(self, o):
        return self.v > o.v
    def __repr__(self):
        return "C%d" % self.v
print(Cmp(1) < Cmp(2), sorted([Cmp(3), Cmp(1)], key=lambda c: c.v), max([Cmp(2), Cmp(5)], key=lambda c: c.v))
class CallCount:
    def __init__(self):
        self.calls = 0
    def __call__(self, *args, **kw):
        self.calls += 1
        return (args, sorted(kw))
cc = CallCount()
print(cc(1, 2, x=3), cc(), cc.calls)
