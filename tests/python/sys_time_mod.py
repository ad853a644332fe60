import sys
import time
t0 = time.time()
p0 = time.perf_counter()
time.sleep(0.01)
for bad in [float("nan"), -1, 1e300]:
    try:
        time.sleep(bad)
    except (ValueError, OverflowError) as e:
        print(type(e).__name__, e)
print(time.time() >= t0, time.perf_counter() > p0, type(t0).__name__)
print(len(sys.argv) >= 1, sys.maxsize > 2 ** 31)
sys.stdout.write("written\n")
print("to stderr", file=sys.stderr)
print(sys.getrecursionlimit() > 0)
from math import sqrt, pi as PI
print(sqrt(4), round(PI, 3))
import math as m
print(m.floor(1.5))
