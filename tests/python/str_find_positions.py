# find/rfind/index positions in ASCII and non-ASCII text, with start and end past the ends.
s="abcabc"
print(s.find("c"), s.find("c", 3), s.rfind("a"), s.find("x"), s.find("", 10), s.find("b", -2), s.index("bc"), s.rindex("b"), "héllo".find("l"), s.find("a", 4, 2), s.find("", 6), s.find("", 7))
print("héllo wörld".rfind("ö"), "héllo".find("", 5), "héllo".find("", 6), "x".find("x", -10))
s = "abcabcab"
print(s.count("ab"), s.count("ab", 1), s.count("ab", 1, 7), s.count("ab", -3), s.count("", 2, 5))
print(s.count("", 8), s.count("", 9), s.count("x", 100), "héhéhé".count("é", 2), "héhéhé".count("hé", -4, -1))
