callbacks = []
for i in range(3):
    callbacks.append(lambda: i)
print([cb() for cb in callbacks])
callbacks = []
for i in range(3):
    callbacks.append(lambda i=i: i)
print([cb() for cb in callbacks])
def make():
    out = []
    for name in ["x", "y"]:
        def f(prefix, name=name):
            return prefix + name
        out.append(f)
    return out
print([f(">") for f in make()])
adders = {n: (lambda m: lambda v: v + m)(n) for n in range(3)}
print([adders[k](100) for k in adders])
