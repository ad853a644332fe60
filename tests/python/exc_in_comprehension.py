def safe(f, *a):
    try:
        return f(*a)
    except Exception as e:
        return type(e).__name__
print([safe(int, s) for s in ["1", "x", "3"]])
print({s: safe(lambda v: 10 / int(v), s) for s in ["0", "5"]})
try:
    [1 / x for x in [1, 0]]
except ZeroDivisionError as e:
    print("comprehension raised", e)
try:
    list(int(x) for x in ["1", "bad"])
except ValueError as e:
    print("genexp raised", e)
