flags = 0
READ, WRITE, EXEC = 1, 2, 4
flags |= READ | EXEC
print(flags, bool(flags & WRITE), bool(flags & EXEC), flags & ~EXEC, bin(flags))
print([i for i in range(16) if i & (i - 1) == 0], [bin(1 << i) for i in range(4)])
x = 0b10110110
print(x >> 2, x << 3, x ^ 0xFF, bin(x).count("1"), x.bit_length(), -x >> 1, ~x & 0xFF)
def popcount(n):
    c = 0
    while n:
        n &= n - 1
        c += 1
    return c
print([popcount(n) for n in [0, 1, 255, 2 ** 40 - 1, 12345]])
print(0xDEADBEEF & 0xFFFF, hex(0xDEADBEEF >> 16), (1 << 70) | 1, ((1 << 70) | 1) & 3, -1 & 0xFF)
