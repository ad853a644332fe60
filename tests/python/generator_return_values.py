def gen_sum(xs):
    total = 0
    for x in xs:
        total += x
        yield total
    return total
def collect():
    final = yield from gen_sum([1, 2, 3])
    yield ("final", final)
print(list(collect()))
g = gen_sum([5])
print(next(g))
try:
    next(g)
except StopIteration as e:
    print("returned", e.value, e.args)
def empty():
    return "nothing"
    yield
try:
    next(empty())
except StopIteration as e:
    print("empty returned", e.value)
