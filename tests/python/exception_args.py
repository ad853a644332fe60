e = ValueError()
print(repr(e), str(e), e.args)
e = ValueError("one")
print(repr(e), str(e), e.args)
e = ValueError("one", 2)
print(repr(e), str(e), e.args)
e = KeyError("k")
print(repr(e), str(e))
e = KeyError()
print(repr(e), str(e))
class E(Exception):
    pass
print(repr(E("x")), str(E(1, 2)), E().args)
try:
    raise E("boom")
except E as err:
    print(err.args[0], type(err) is E)
try:
    raise TypeError
except TypeError as err:
    print(repr(err))
