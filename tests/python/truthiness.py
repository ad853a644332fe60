values = [0, 1, -1, 0.0, 0.1, "", "a", [], [0], (), (0,), {}, {0: 0}, set(), {0}, None, True, False, range(0), range(1), b"", b"x"]
for v in values:
    print(repr(v), bool(v), not v, "yes" if v else "no")
class Z:
    def __len__(self):
        return 0
class B:
    def __bool__(self):
        return False
class N:
    pass
print(bool(Z()), bool(B()), bool(N()), not Z(), [] or "default", 0 or None or "last")
print(1 and 2, 0 and 2, "" or 0, [] and 1, None or [] or {} or "end")
x = []
print(x or "empty", len(x) == 0, not x)
