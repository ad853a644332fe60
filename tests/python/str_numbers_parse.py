samples = ["42", "  -7 ", "3.5", "1e3", "abc", "", "0x1f", "1_000", "+0", "٣"]
for s in samples[:9]:
    try:
        v = int(s)
        kind = "int"
    except ValueError:
        try:
            v = float(s)
            kind = "float"
        except ValueError:
            v, kind = None, "invalid"
    print(repr(s), kind, v)
print("12".isdigit(), "-12".isdigit(), "1.5".replace(".", "", 1).isdigit(), "0x1f"[2:], int("0x1f", 16))
