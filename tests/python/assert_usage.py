def check(x):
    assert isinstance(x, int), "need int, got %s" % type(x).__name__
    assert x >= 0
    return x
print(check(3))
for bad in ["s", -1]:
    try:
        check(bad)
    except AssertionError as e:
        print("AssertionError:", repr(e), str(e))
