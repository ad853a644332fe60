class Audited:
    def __init__(self):
        self.log = []
        self.x = 1
    def __setattr__(self, name, value):
        if name != "log":
            self.log.append((name, value))
        object.__setattr__(self, name, value)
a = Audited()
a.y = 2
a.x = 3
print(a.log, a.x, a.y)
class Frozen:
    def __init__(self, v):
        super().__setattr__("v", v)
    def __setattr__(self, name, value):
        raise AttributeError("frozen: " + name)
f = Frozen(5)
print(f.v)
try:
    f.v = 6
except AttributeError as e:
    print(e)
class Base:
    def __init__(self):
        super().__init__()
        self.ready = True
print(Base().ready)
