t = str.maketrans("abc", "xyz", "d")
print(sorted(t.items()), "aabbccdd".translate(t), "hello".translate({ord("l"): "L", ord("o"): None}))
print("a-b_c".translate(str.maketrans({"-": " ", "_": " "})), "ascii".isascii(), "é".isascii())
print("{name} has {n} items".format_map({"name": "box", "n": 3}))
