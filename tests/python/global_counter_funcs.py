calls = 0
registry = {}
def register(name):
    def deco(f):
        registry[name] = f
        return f
    return deco
@register("double")
def double(x):
    global calls
    calls += 1
    return x * 2
@register("square")
def square(x):
    global calls
    calls += 1
    return x * x
print(sorted(registry), [registry[k](3) for k in sorted(registry)], calls)
def dispatch(name, *args):
    fn = registry.get(name)
    if fn is None:
        return "unknown " + name
    return fn(*args)
print(dispatch("double", 21), dispatch("cube", 2), calls)
