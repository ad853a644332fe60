x = 2
assert x == 2
assert x > 5, f"x too small: {x}"
