def gen():
    yield 1
    raise RuntimeError("generator exploded")
for v in gen():
    print("value", v)
