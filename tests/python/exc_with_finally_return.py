def f(x):
    try:
        if x == 1:
            return "one"
        if x == 2:
            raise ValueError("two")
        return "other"
    except ValueError as e:
        return "handled " + str(e)
    finally:
        print("finally for", x)
for x in [1, 2, 3]:
    print(f(x))
def g():
    for i in range(3):
        try:
            return i
        finally:
            print("cleanup", i)
print(g())
def h():
    try:
        try:
            return "inner"
        finally:
            print("inner finally")
    finally:
        print("outer finally")
print(h())
class Resource:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        print("open", self.name)
        return self
    def __exit__(self, *exc):
        print("close", self.name, exc[0].__name__ if exc[0] else "ok")
        return False
def use():
    with Resource("r1") as r:
        with Resource("r2"):
            return r.name
print(use())
def use_exc():
    try:
        with Resource("r3"):
            raise KeyError("k")
    except KeyError:
        return "caught after close"
print(use_exc())
def loop_with():
    out = []
    for i in range(3):
        with Resource("loop%d" % i):
            if i == 1:
                continue
            out.append(i)
    return out
print(loop_with())
