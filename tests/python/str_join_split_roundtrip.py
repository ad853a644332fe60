for sep in [",", ", ", "::", " "]:
    parts = ["a", "", "b c", "d"]
    joined = sep.join(parts)
    print(repr(joined), joined.split(sep), joined.split(sep) == parts)
print("a b\tc\nd".split(), " leading".split(" "), "trailing ".split(" "), "x".split("x"))
print("k1=v1;k2=v2".split(";"), [p.split("=") for p in "k1=v1;k2=v2".split(";")])
print(dict(p.split("=", 1) for p in "a=1;b=2=3".split(";")))
