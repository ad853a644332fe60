def target(a, b=2, *rest, c=3, **extra):
    return f"a={a} b={b} rest={rest} c={c} extra={sorted(extra.items())}"
def forward(*args, **kwargs):
    return target(*args, **kwargs)
print(forward(1))
print(forward(1, 2, 3, 4, c=5, d=6))
print(forward(a=9, c=0))
opts = {"b": 20, "z": 26}
print(target(1, **opts), target(*(7, 8), **{"c": 9}))
def only_kw(*, x, y=1):
    return x, y
print(only_kw(x=0), only_kw(y=5, x=4))
def collect(**kw):
    return kw
print(collect(), collect(a=1, b=2), collect(**{"k": "v"}))
def positional(*args):
    return len(args), args
print(positional(), positional(*range(3)), positional(*"ab", *[1]))
