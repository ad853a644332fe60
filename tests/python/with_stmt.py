class CM:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        print("enter", self.name)
        return self
    def __exit__(self, et, ev, tb):
        print("exit", self.name, et.__name__ if et else None)
        return False
with CM("a") as a, CM("b") as b:
    print("inside", a.name, b.name)
try:
    with CM("c"):
        raise KeyError("k")
except KeyError as e:
    print("propagated", e)
def f():
    with CM("d"):
        return "ret"
print(f())
for i in range(2):
    with CM("loop%d" % i):
        if i == 0:
            continue
        break
class Suppress:
    def __enter__(self):
        return None
    def __exit__(self, *a):
        return True
with Suppress():
    1 / 0
print("suppressed ok")
