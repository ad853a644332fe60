raw = "Grüße, 世界".encode("utf-8")
print(raw, len(raw), raw.decode("utf-8"), raw[:3], list(raw[:4]))
print(b"abc".decode("ascii"), b"\xe9".decode("latin-1"), "é".encode("utf-8"), bytes("hi", "utf-8") if False else b"hi")
try:
    b"\xff\xfe".decode("utf-8")
except UnicodeDecodeError:
    print("decode error")
try:
    b"caf\xc3\xa9 \xe9".decode("ascii")
except UnicodeDecodeError:
    print("ascii error")
print(b"x" * 3, b"-".join if False else b"a" + b"b", b"ab" == b"ab", b"a" < b"b", bytes([104, 105]))
