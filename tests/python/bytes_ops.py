b = b"hello"
print(b, len(b), b[0], b[1:3], b + b" world", b * 2, b"ell" in b, 104 in b)
print(b.decode(), "héllo".encode(), "héllo".encode("utf-8").decode("utf-8"), list(b"AB"))
print(bytes(3), bytes([65, 66]), bytes("xy", "utf-8") if False else b"xy", b.hex())
print(b == b"hello", b < b"help", repr(b'\n\t\\'), repr(b"it's"), b[-1], b[::-1])
for x in b"hi":
    print(x)
try:
    b"\xff".decode()
except UnicodeDecodeError as e:
    print("UnicodeDecodeError")
print(str(b"x"), type(b).__name__, bytes(b"copy"), b"a" + bytes([98]))
