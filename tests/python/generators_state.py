def gen():
    print("start")
    yield 1
    print("middle")
    yield 2
    print("end")
g = gen()
print("created")
print(next(g))
print(next(g))
try:
    next(g)
except StopIteration:
    print("exhausted")
try:
    next(g)
except StopIteration:
    print("still exhausted")
def infinite():
    i = 0
    while True:
        yield i
        i += 1
it = infinite()
print([next(it) for _ in range(5)])
def with_return(n):
    if n < 0:
        return
    yield n
print(list(with_return(-1)), list(with_return(3)))
def tee_like(iterable):
    items = list(iterable)
    return iter(items), iter(items)
a, b = tee_like(x * 2 for x in range(3))
print(list(a), list(b))
gen_exp = (i for i in range(3))
print(sum(gen_exp), sum(gen_exp))
def interleave(*gens):
    gens = [iter(g) for g in gens]
    while gens:
        for g in list(gens):
            try:
                yield next(g)
            except StopIteration:
                gens.remove(g)
print(list(interleave("abc", [1, 2], "XYZW")))
