b = b"  Hello, World  "
print(b.strip(), b.lower(), b.upper(), b.split(b","), b.strip().split(), b.find(b"World"), b.count(b"l"))
print(b.startswith(b"  He"), b.endswith((b"x", b"  ")), b.replace(b"l", b"L"), b.strip().partition(b", "))
print(b"-".join([b"a", b"b"]), b"a\\r\\nb".splitlines() if False else b"a\nb".splitlines(), b"123".isdigit(), b"ab".isalpha())
print(b"hdr: value".split(b":", 1), b"x".center(5, b"*"), b"ab".zfill(4), b"abc".title(), b"\xe9t\xe9".upper())
try:
    b"abc".find("a")
except TypeError as e:
    print("TypeError")
