nested = []
cur = nested
for i in range(50):
    nxt = []
    cur.append(i)
    cur.append(nxt)
    cur = nxt
def depth(x):
    d = 0
    while isinstance(x, list) and x:
        x = x[-1]
        d += 1
    return d
print(depth(nested))
s = str(nested)
print(len(s), s[:40])
d = {}
cur = d
for k in "abcdefghij":
    cur[k] = {}
    cur = cur[k]
print(d)
