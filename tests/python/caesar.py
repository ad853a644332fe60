def shift(c, k):
    if c.isalpha():
        base = ord("A") if c.isupper() else ord("a")
        return chr((ord(c) - base + k) % 26 + base)
    return c
def caesar(s, k):
    return "".join(shift(c, k) for c in s)
msg = "Hello, World! Zebra-42"
enc = caesar(msg, 3)
print(enc, caesar(enc, -3), caesar(msg, 26) == msg)
print({k: caesar("abc", k) for k in (1, 13, 25)})
rot13 = str.maketrans if False else None
print("".join(chr(ord(c) ^ 32) if c.isalpha() else c for c in "SwapCase"))
