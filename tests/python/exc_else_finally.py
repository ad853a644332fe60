def attempt(x):
    log = []
    try:
        log.append("try")
        if x == "raise":
            raise ValueError("bad")
        if x == "return":
            return log + ["returned"]
    except ValueError:
        log.append("except")
    else:
        log.append("else")
    finally:
        log.append("finally")
    log.append("after")
    return log
for x in ["ok", "raise", "return"]:
    print(attempt(x))
def nested():
    try:
        try:
            raise KeyError("inner")
        except KeyError:
            raise ValueError("middle")
        finally:
            print("inner finally")
    except ValueError as e:
        print("outer caught", e, type(e.__context__).__name__)
nested()
def loop_finally():
    out = []
    for i in range(4):
        try:
            if i == 2:
                break
            out.append(i)
        finally:
            out.append("f%d" % i)
    return out
print(loop_finally())
def while_continue():
    i = 0
    out = []
    while i < 3:
        i += 1
        try:
            if i == 2:
                continue
            out.append(i)
        finally:
            out.append("fin")
    return out
print(while_continue())
try:
    try:
        raise TypeError("t")
    finally:
        print("cleanup before propagate")
except TypeError as e:
    print("got", e)
def swallow():
    try:
        raise ValueError
    except:
        return "bare except"
print(swallow())
errors = []
for v in ["1", "x", "2", None]:
    try:
        errors.append(int(v))
    except (ValueError, TypeError) as e:
        errors.append(type(e).__name__)
print(errors)
