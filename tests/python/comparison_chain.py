def noisy(v, log):
    log.append(v)
    return v
log = []
print(noisy(1, log) < noisy(2, log) < noisy(0, log) < noisy(5, log), log)
log = []
print(noisy(1, log) < noisy(2, log) <= noisy(2, log), log)
x = 5
print(0 < x < 10, 0 < x > 3, x == 5 == 5.0, 1 < 2 > 1, "a" < "b" < "c", 1 <= 1 < 2 != 3)
print(1 is not None is not False, [1] == [1] != [2], 3 in [1, 3] in [[1, 3]])
print((1, 2) < (1, 2, 3), (2,) > (1, 9, 9), "ab" < "abc", [] < [0])
print(None == None, None != 0, 0 == False, "" == False, [] == False)
