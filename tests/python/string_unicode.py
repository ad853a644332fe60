s = "naïve café — 日本語 🚀"
print(len(s), s.upper(), s.lower(), s[::-1], s.split(), s.encode("utf-8")[:8])
print([c for c in s if ord(c) > 127], s.find("日"), s.index("🚀"), s.count("é"), s.replace("é", "e"))
print(s.encode().decode() == s, len(s.encode()), "é".isalpha(), "日".isalpha(), "🚀".isalpha())
print(sorted("éaz"), "ÉCOLE".lower(), "straße".upper(), "ǅ".lower())
print(ascii if False else repr("ü"), repr("\u0301"), "a\u0301", len("a\u0301"))
