def producer(n):
    for i in range(n):
        yield ("item", i)
    yield ("done", None)
def consumer():
    total = 0
    while True:
        kind, value = yield
        if kind == "done":
            break
        total += value
    yield total
def scheduler(tasks):
    queue = list(tasks)
    out = []
    while queue:
        name, gen = queue.pop(0)
        try:
            v = next(gen)
            out.append((name, v))
            queue.append((name, gen))
        except StopIteration:
            out.append((name, "finished"))
    return out
def worker(name, n):
    for i in range(n):
        yield "%s-%d" % (name, i)
print(scheduler([("a", worker("a", 2)), ("b", worker("b", 3))]))
c = consumer()
next(c)
result = None
for msg in producer(5):
    r = c.send(msg)
    if r is not None:
        result = r
print(result)
def ping_pong(n):
    def ping():
        for i in range(n):
            yield "ping %d" % i
    def pong():
        for i in range(n):
            yield "pong %d" % i
    for a, b in zip(ping(), pong()):
        print(a, b)
ping_pong(3)
