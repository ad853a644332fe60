"""Module docstring."""
x = 1; y = 2; z = x + \
    y
print(x, y, z)
total = (1 +
         2 +
         3)
print(total)
data = [
    1,
    2,  # comment
    3,
]
print(data)
def f():
    """Docstring."""
    ...
print(f(), ...)
if True: print("inline if")
for i in range(2): print("inline for", i)
while False: pass
class K: pass
print(K.__name__)
a = b = c = 0
a += 1
print(a, b, c)
arr = [3, 1]
arr[0], arr[1] = arr[1], arr[0]
print(arr)
ñame = "unicode id"
print(ñame)
print("octal \101 hex \x42 uni \u0043")
print('single' "double" '''triple''' """triple2""")
print(r"raw\n", R"RAW\t", b"bytes", rb"raw\bytes", Rb"x")
def annotated(a: int, b: str = "x") -> str:
    return b * a
v: int = 5
print(annotated(2), v)
print(1_0, 0xFF_FF, 1e1_0 if False else 10, 0b1_1)
lam = (lambda: (lambda: 42))()()
print(lam)
print(not not 1, -(-1), +(-1), ~~5)
print([*range(3)], (*"ab",), {**{}})
