class A(object):
    def __init__(self, x):
        self.x = x
    def who(self):
        return "A"
    def chain(self):
        return ["A"]
class B(A):
    def __init__(self, x, y):
        super(B, self).__init__(x)
        self.y = y
    def who(self):
        return "B>" + super(B, self).who()
    def chain(self):
        return ["B"] + super().chain()
class C(B):
    def chain(self):
        return ["C"] + super().chain()
    @classmethod
    def make(cls):
        return cls(1, 2)
c = C.make()
print(c.x, c.y, c.who(), c.chain(), type(c).__name__)
class Base:
    def __init__(self):
        self.log = ["base"]
class NoInit(Base):
    pass
print(NoInit().log)
class Deep(NoInit):
    def __init__(self):
        super().__init__()
        self.log.append("deep")
print(Deep().log)
class WithNew:
    count = 0
    def __init__(self):
        type(self).count += 1
WithNew(); WithNew()
print(WithNew.count)
class Str(object):
    def __repr__(self):
        return "Str()"
print(Str(), [Str()], str(Str()), "%s" % Str(), "%r" % Str())
