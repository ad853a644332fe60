print(True + True, True * 10, False / 1, True // 1, -True, ~True, True & False, True | False, True ^ True)
print(sum([True, True, False]), max(True, 2), True == 1, False == 0, True is 1 if False else "skip", bool(2) is True)
print(int(True), float(False), str(True), repr(False), True and "yes", False or "no", not True)
print([x for x in [0, 1, 2, 3] if bool(x % 2)], sorted([True, False, True]), {True: "a", 1: "b"})
