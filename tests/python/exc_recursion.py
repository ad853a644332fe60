def f(n):
    return f(n + 1)
try:
    f(0)
except RecursionError as e:
    print("RecursionError:", e)
def g(n):
    if n == 0:
        return 0
    return g(n - 1) + 1
print(g(900))
