def risky(n):
    if n == 0:
        raise ValueError("zero")
    if n == 1:
        raise KeyError("one")
    return n
for n in range(3):
    try:
        print(risky(n))
    except ValueError as e:
        print("VE", e, e.args)
    except (KeyError, IndexError) as e:
        print("KE", e, type(e).__name__)
    else:
        print("else")
    finally:
        print("finally", n)
def f():
    try:
        return "try"
    finally:
        print("cleanup")
print(f())
def g():
    for i in range(3):
        try:
            if i == 1:
                continue
            if i == 2:
                break
        finally:
            print("fin", i)
    return "done"
print(g())
class MyError(Exception):
    pass
class Sub(MyError):
    def __init__(self, code):
        super().__init__("code %d" % code)
        self.code = code
try:
    raise Sub(42)
except MyError as e:
    print("caught", e, e.code, isinstance(e, Exception), e.args)
try:
    try:
        1 / 0
    except ZeroDivisionError:
        raise
except ZeroDivisionError as e:
    print("reraised", e)
try:
    [][1]
except IndexError as e:
    print(e)
try:
    {}.x
except AttributeError as e:
    print(e)
try:
    int("abc")
except ValueError as e:
    print(e)
try:
    undefined_name
except NameError as e:
    print(e)
try:
    "a" + 1
except TypeError as e:
    print(e)
try:
    raise StopIteration
except Exception as e:
    print(type(e).__name__, repr(e))
def unbound():
    print(v)
    v = 1
try:
    unbound()
except UnboundLocalError as e:
    print(e)
e = RuntimeError("a", 1)
print(e.args, str(e), repr(e), repr(ValueError("x")))
print(issubclass(KeyError, LookupError), issubclass(RecursionError, RuntimeError), issubclass(bool, int))
try:
    raise ValueError("outer") from KeyError("inner")
except ValueError as e:
    print(repr(e.__cause__), e.__context__ is not None)
