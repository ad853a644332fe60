x = 10
x += 5; print(x)
x -= 3; print(x)
x *= 2; print(x)
x //= 5; print(x)
x /= 2; print(x)
x **= 3; print(x)
x %= 7; print(x)
n = 6
n <<= 2; print(n)
n >>= 1; print(n)
n &= 7; print(n)
n |= 8; print(n)
n ^= 3; print(n)
s = "a"
s += "b"
s *= 3
print(s)
l = [1]
alias = l
l += [2]
print(l, alias, l is alias)
t = (1,)
talias = t
t += (2,)
print(t, talias)
d = {"k": 1}
d["k"] += 10
print(d)
class O:
    v = 1
o = O()
o.v += 1
print(o.v, O.v)
m = [[0, 0], [0, 0]]
m[1][0] += 5
print(m)
cnt = {}
for w in "a b a".split():
    cnt[w] = cnt.get(w, 0) + 1
print(cnt)
