def grep(pattern):
    print("looking for", pattern)
    matches = []
    try:
        while True:
            line = yield len(matches)
            if pattern in line:
                matches.append(line)
    except GeneratorExit:
        print("closing; matched", matches)
        raise
g = grep("py")
print(next(g))
for line in ["python", "rust", "pypy", "go"]:
    print(line, g.send(line))
g.close()
def averager():
    total = count = 0
    avg = None
    while True:
        term = yield avg
        if term is None:
            break
        total += term
        count += 1
        avg = total / count
    return (count, avg)
def grouper(results, key):
    while True:
        results[key] = yield from averager()
results = {}
for key, values in {"a": [1, 2, 3], "b": [10, 20]}.items():
    group = grouper(results, key)
    next(group)
    for v in values:
        group.send(v)
    group.send(None)
print(results)
