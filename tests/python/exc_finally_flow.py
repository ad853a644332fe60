def a():
    try:
        raise ValueError("x")
    except ValueError:
        return "from except"
    finally:
        print("finally a")
print(a())
def b():
    try:
        return 1
    finally:
        return 2
print(b())
def c():
    for i in range(3):
        try:
            try:
                if i == 0:
                    raise KeyError(i)
                print("body", i)
            finally:
                print("inner finally", i)
        except KeyError as e:
            print("caught", e)
            continue
        finally:
            print("outer finally", i)
c()
def d():
    try:
        try:
            1 / 0
        finally:
            print("cleanup")
    except ZeroDivisionError as e:
        return str(e)
print(d())
def e():
    x = []
    try:
        x.append(1)
        return x
    finally:
        x.append(2)
print(e())
try:
    try:
        raise ValueError("first")
    except ValueError:
        raise TypeError("second")
except TypeError as ex:
    print(type(ex.__context__).__name__, ex.__context__)
def gen():
    try:
        yield 1
    finally:
        print("gen cleanup")
for v in gen():
    print(v)
try:
    raise ValueError
except ValueError as ex:
    print(repr(ex), ex.args)
class E(Exception):
    def __str__(self):
        return "custom str"
try:
    raise E()
except E as ex:
    print(ex, repr(ex))
try:
    raise KeyError("k")
except LookupError as ex:
    print("lookup", ex)
try:
    raise (ValueError if True else KeyError)("dyn")
except (TypeError, ValueError) as ex:
    print("tuple catch", ex)
