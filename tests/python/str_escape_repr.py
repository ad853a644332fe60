samples = ["plain", "it's", 'say "x"', "both ' and \"", "back\\slash", "tab\t", "nl\n", "cr\r", "\x00\x7f", "é", "日本", "\u200b", "emoji \U0001F600", "\x1b[0m"]
for s in samples:
    print(repr(s), len(s))
print(repr(b"\x00\x80\xff"), repr(b"'"), repr(b'"'), repr(b"'\""))
print(str("x"), str(b"ab"), ascii("é") if False else "skip")
print("a\\b", "a\tb".expandtabs(2), "line\\n")
print("%r %s" % ("q'", "q'"), "{!r}".format("x\ny"))
