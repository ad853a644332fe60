for v in [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.675, 1.005, 0.125, 0.375, 1234.5678]:
    print(v, round(v), round(v, 1), round(v, 2), round(v, -1))
print(round(123456, -2), round(-123456, -3), round(5, -1), round(15, -1), round(25, -1))
print(type(round(2.5)).__name__, type(round(2.5, 0)).__name__, round(2.5, 0), round(1e16 + 0.5))
