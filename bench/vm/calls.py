# Function calls: recursion, keyword arguments and closures.
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def add(a, b=1, *, scale=1):
    return (a + b) * scale


def make_counter():
    count = 0

    def bump(k):
        nonlocal count
        count += k
        return count

    return bump


bump = make_counter()
acc = 0
for i in range(200000):
    acc += add(i, scale=2) + bump(1)
print(fib(24), acc)
