def work(n):
    t = 0
    i = 0
    while i < n:
        t += i * 3 % 7
        i += 1
    for j in range(n):
        if j & 1:
            t -= 1
    return t
print(work(3_000_000))
