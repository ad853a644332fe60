def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def add(a, b=1, *rest):
    return a + b
s = 0
for i in range(500_000):
    s = add(s, i)
print(fib(27), s)
