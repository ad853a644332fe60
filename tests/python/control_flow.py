for i in range(5):
    if i == 1:
        continue
    if i == 4:
        break
    print("i", i)
else:
    print("no break")
for i in range(2):
    pass
else:
    print("for else ran")
n = 0
while n < 3:
    n += 1
else:
    print("while else", n)
while True:
    n -= 1
    if n == 0:
        break
print(n)
x = 7
if x < 5:
    print("lt5")
elif x < 10:
    print("lt10")
else:
    print("big")
total = 0
for a, b in [(1, 2), (3, 4)]:
    total += a * b
print(total)
for i in range(3):
    for j in range(3):
        if j == 1:
            break
        print(i, j)
assert x == 7, "x should be 7"
try:
    assert x == 8, "x should be 8"
except AssertionError as e:
    print("assert:", e)
del x
try:
    print(x)
except NameError as e:
    print(e)
if (y := 10) > 5:
    print("walrus", y)
