# Method calls on local variables: the commonest call shape, which the compiler emits as one
# instruction, in every case that instruction must handle like the two it stands for.


class Box:
    def __init__(self, v):
        self.v = v

    def get(self):
        return self.v


def shapes():
    items = []
    for i in range(3):
        items.append(i)          # a built-in type's method
    b = Box(5)
    print(items, b.get())        # a class's method
    s = "a,b"
    print(s.split(","), s.upper())
    b.get = lambda: "instance attribute wins"
    print(b.get())               # an attribute shadowing the method
    f = len
    try:
        f.nope()
    except AttributeError as e:
        print("AttributeError:", e)


def unbound():
    try:
        later.append(1)
    except UnboundLocalError as e:
        print("UnboundLocalError:", e)
    later = []
    later.append(2)
    print(later)


def deleted():
    x = [1]
    del x
    try:
        x.append(2)
    except UnboundLocalError as e:
        print("UnboundLocalError:", e)


def many_locals():
    # A parameter is a local; a closure cell is not, and keeps the two instructions.
    def inner(p):
        return p.upper() + cell.lower()
    cell = "XyZ"
    return inner("abc")


shapes()
unbound()
deleted()
print(many_locals())
