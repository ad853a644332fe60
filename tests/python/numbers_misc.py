print(7 / 2, 7 // 2, -7 // 2, 7 % 3, -7 % 3, 7.0 // 2, 2 ** 10, 2 ** -2)
print(0.1 * 3, 1 / 3 * 3, 1e308 * 10, -1e308 * 10, 10 ** 15 + 0.5)
print(int(2.999), round(2.675, 2), round(0.5), round(1.5), round(-1.5), round(12.345, 1))
print(abs(-0), abs(-2.5), -abs(3), max(1, 2.5), min(-1, -1.5))
print(True + True, True * 3, False - 1, 3 / True)
print(1 == 1.0, 1 is 1 if False else True, 0.1 + 0.2 == 0.3, abs(0.1 + 0.2 - 0.3) < 1e-9)
print(float("  -3.5e2 "), int("  -17 "), int("0b101", 0) if False else 5, int("1_000"))
print(5 & 3, 5 | 3, 5 ^ 3, ~0, -1 >> 10, 1 << 62, 1 << 63, 1 << 64)
print(divmod(-7, 2), divmod(7, -2), divmod(7.5, -2))
print(hex(2 ** 64), (2 ** 64).bit_length(), (255).bit_length(), (-1).bit_length())
print(sum(range(101)), sum([1.5, 2.5]), sum([[1], [2]], []))
print(10 ** 18 * 10, -(2 ** 63), -(2 ** 63) - 1, (2 ** 63) // -1)
for v in [0, 1, -1, 10 ** 30, -10 ** 30, 3.5, -0.0]:
    print(v, bool(v), str(v), v * 2, -v)
print(1.0.is_integer(), 1.5.is_integer(), float(int(1e15)), int(float(2 ** 53)))
try:
    1 % 0
except ZeroDivisionError as e:
    print(e)
try:
    1.0 / 0
except ZeroDivisionError as e:
    print(e)
try:
    int(float("nan"))
except ValueError as e:
    print(e)
import math
print(math.sqrt(16), math.floor(-2.5), math.ceil(2.1), math.pi, math.e, math.gcd(12, 18))
print(math.log(math.e), math.log(8, 2), math.log10(1000), math.exp(0), math.isclose(0.1 + 0.2, 0.3))
print(math.factorial(20), math.factorial(25), math.inf, -math.inf, math.isnan(math.nan), math.trunc(-3.7))
print(math.hypot(3, 4), math.fabs(-2), math.pow(2, 0.5), math.isqrt(99), math.copysign(1, -0.0))
try:
    math.sqrt(-1)
except ValueError as e:
    print(e)
