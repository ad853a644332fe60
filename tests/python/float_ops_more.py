import math
print(0.1 + 0.2, 0.3 - 0.1, 1.1 + 2.2, 3 * 0.1, 0.7 * 3, 1 - 0.9)
print(2.0 ** 0.5, 10.0 ** -3, (-8.0) ** 3, 1e300 * 1e10, -1e300 * 1e10, 1e-320 / 10)
print(float("inf") - float("inf"), float("inf") * 0 == float("inf") * 0, math.isnan(float("nan")))
print(7.0 // 2, -7.0 // 2, 7.0 % 2.5, -7.0 % 2.5, 7.5 % -2, divmod(-7.5, 2))
print(round(1 / 3, 5), 1 / 3 == 0.3333333333333333, 2 / 3, 100 / 3, 1e15 / 3)
print(int(7.9), int(-7.9), math.floor(-7.9), math.ceil(-7.1), abs(-0.0), -0.0 == 0.0)
print(float(7), float("  1.25  "), str(1e-4), str(1e-5), str(123456789012345678.0), 0.1 * 0.1)
