for s in ["42", "-17", "+5", " 8 ", "0", "1_000", "007"]:
    print(repr(s), int(s))
for s, b in [("ff", 16), ("FF", 16), ("777", 8), ("1010", 2), ("z", 36), ("0x1A", 16), ("0o17", 8), ("0b11", 2), ("0x10", 0), ("10", 0)]:
    print(s, b, int(s, b))
for bad in ["", "abc", "1.5", "0x", "--1", "1 2"]:
    try:
        int(bad)
    except ValueError as e:
        print("ValueError:", e)
for f in ["1.5", "-0.25", "1e3", "inf", "-inf", "  3  ", "1_0.5"]:
    print(repr(f), float(f))
try:
    float("x1")
except ValueError as e:
    print(e)
print(int(True), int(-2.9), int(2.9), float(3), float(-0), str(float(2**53)), int(1e18))
print(bool("False"), bool(0), str(12345678901234567890), int("-" + "9" * 25))
print(round(7.5), round(8.5), round(-2.5), round(0.125, 2), round(0.375, 2), round(1e20), round(5, 2))
print(abs(-(2 ** 65)), -(-(2 ** 65)), 2 ** 65 // 2 ** 64, 2 ** 65 % 1000, (-2) ** 65)
