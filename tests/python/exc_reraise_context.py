def parse(v):
    try:
        return int(v)
    except ValueError as e:
        raise TypeError("cannot parse %r" % v) from e
try:
    parse("x")
except TypeError as e:
    print(e, "|", e.__cause__, "|", type(e.__cause__).__name__, e.__suppress_context__)
def hide(v):
    try:
        return int(v)
    except ValueError:
        raise KeyError(v) from None
try:
    hide("y")
except KeyError as e:
    print(repr(e), e.__cause__, e.__suppress_context__, type(e.__context__).__name__)
def implicit():
    try:
        {}["k"]
    except KeyError:
        return 1 / 0
try:
    implicit()
except ZeroDivisionError as e:
    print(type(e.__context__).__name__, e.__cause__)
try:
    try:
        raise ValueError("inner")
    except ValueError as e:
        raise
except ValueError as e:
    print("reraised same:", e)
