class Strict:
    def __init__(self, x):
        if x < 0:
            raise ValueError("negative: %d" % x)
        self.x = x
ok = []
for v in [1, -1, 2]:
    try:
        ok.append(Strict(v).x)
    except ValueError as e:
        print("rejected", e)
print(ok)
try:
    Strict()
except TypeError as e:
    print("TypeError:", e)
try:
    Strict(1, 2)
except TypeError as e:
    print("TypeError:", e)
class NoArgs:
    pass
try:
    NoArgs(1)
except TypeError as e:
    print("TypeError:", e)
