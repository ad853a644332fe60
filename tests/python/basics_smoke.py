print("hello", 1 + 2, 3.5, None, True)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print(fib(20))
x = [i * i for i in range(10) if i % 2]
print(x, len(x), sum(x))
d = {"a": 1, "b": 2}
for k, v in d.items():
    print(k, v)
class A:
    def __init__(self, x):
        self.x = x
    def __repr__(self):
        return f"A({self.x!r})"
print(A(3), [A("s")])
def gen(n):
    for i in range(n):
        yield i * 2
print(list(gen(4)))
try:
    1 / 0
except ZeroDivisionError as e:
    print("caught", e)
print(2 ** 100, 10 / 4, 7 // 2, -7 % 3)
print("%5.2f|%-4d|%s" % (3.14159, 42, "x"))
print("{:>8}|{:08.3f}".format("ab", 2.5))
