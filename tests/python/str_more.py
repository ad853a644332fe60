s = "The quick brown fox"
print(s.split(" ", 2), s.lower().count("o"), s[4:9], s[-3:], s[::3], s.find("quick"), s.index("fox"))
print(s.startswith("The"), s.endswith("fox"), s.replace(" ", "_"), "-".join(s.split()))
print(len(s), s.upper(), s.isupper(), "  x ".strip() == "x", "xxhixx".strip("x"), "a-b".split("-"))
print("%s is %d years" % ("Al", 30), "%.1f%%" % 99.5, "%5s|%-5s|" % ("r", "l"))
print(str(1) + "1", int("1") + 1, "3" * 3, "abc" in "xabcx", "".join(["a", "b"]) == "ab")
lines = "line1\nline2\n\nline4"
print(lines.splitlines(), lines.split("\n"), [l for l in lines.splitlines() if l])
print("Hello"[0], "Hello"[-1], "Hello"[1:-1], "Hello"[10:], "é" * 2, len("日本語"), "日本語"[1])
print(ord("A"), chr(66), "abc".upper().lower(), "Title Case".istitle(), "a1".isalnum())
print("a,b".partition(","), "abc".partition("x"), "x.y.z".rsplit(".", 1), "x y".rsplit())
print(repr("\\"), repr("a'b\"c"), repr("\x01"), "tab\tend", "é".encode("utf-8"), b"\xc3\xa9".decode())
print("{:<10}|{:>10}|{:^10}|".format("l", "r", "c"), "{:,}".format(1234567))
print(" ".join(w.capitalize() for w in "hello big world".split()))
print("abc".find("c", 1), "abcabc".rfind("b", 0, 3), "aaa".count("aa"), "abc".center(6, "-"))
print(str.upper("x"), str.join(",", ["a", "b"]), "x".__class__.__name__)
x = "mutable?"
y = x
x += "!"
print(x, y)
print(min("hello"), max("hello"), sorted("hello"), list(reversed("abc")), "".join(sorted("cba")))
print("A".lower() < "b", "apple" < "banana", "Z" < "a", "10" < "9")
