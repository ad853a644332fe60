def outer():
    vals = []
    def add(v):
        vals.append(v)
    add(1)
    add(2)
    return vals
print(outer())
def counter_factory():
    def make():
        count = 0
        def step():
            nonlocal count
            count += 1
            return count
        return step
    return make()
s = counter_factory()
print(s(), s())
x = 10
def read():
    return x
def write():
    x = 20
    return x
print(read(), write(), x)
def comp_scope():
    y = 5
    return [y * i for i in range(3)], {i: y for i in range(2)}
print(comp_scope())
def default_eval():
    a = 1
    def f(b=a):
        return b
    a = 2
    return f()
print(default_eval())
class C:
    attr = 1
    def method(self):
        return attr_global
attr_global = "global!"
print(C().method())
def recursive_closure(n):
    def helper(k):
        return 1 if k <= 1 else k * helper(k - 1)
    return helper(n)
print(recursive_closure(10))
funcs = {}
for name in ["a", "b"]:
    def f(name=name):
        return name.upper()
    funcs[name] = f
print(funcs["a"](), funcs["b"]())
def gen_closure():
    base = 100
    def g():
        for i in range(3):
            yield base + i
    return g()
print(list(gen_closure()))
