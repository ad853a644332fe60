import math
vals = [0, 0.5, 1, 2, 10]
for v in vals:
    print(v, round(math.sqrt(v), 6), round(math.exp(v), 4), round(math.sin(v), 6), round(math.cos(v), 6))
print(math.floor(3.7), math.ceil(3.2), math.floor(-3.2), math.ceil(-3.7), math.trunc(3.9), type(math.floor(1.5)).__name__)
print(math.gcd(48, 180), math.gcd(0, 5), math.factorial(10), math.isqrt(17), math.log2(1024), math.log(100, 10))
print(round(math.degrees(math.pi), 6), math.radians(180) == math.pi, math.fabs(-7), math.pow(3, 2))
print(math.isinf(math.inf), math.isfinite(1.0), math.isnan(float("nan")), math.hypot(5, 12), math.atan2(1, 1) == math.pi / 4)
print(math.fsum([0.1] * 10), sum([0.1] * 10), math.prod([1, 2, 3, 4]), math.copysign(3, -1))
print(round(math.tau, 5), round(math.e, 5), math.isclose(1.0, 1.0 + 1e-10), math.isclose(1, 1.1))
try:
    math.log(0)
except ValueError as e:
    print(e)
try:
    math.factorial(-1)
except ValueError as e:
    print(e)
