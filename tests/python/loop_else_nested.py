def find_pair(nums, target):
    for i, a in enumerate(nums):
        for j in range(i + 1, len(nums)):
            if a + nums[j] == target:
                return (i, j)
    return None
print(find_pair([2, 7, 11, 15], 9), find_pair([1, 2], 10))
for x in range(3):
    for y in range(3):
        if x == y == 1:
            break
    else:
        print("inner completed for", x)
        continue
    print("broke at", x)
result = []
for i in range(10):
    if i % 2:
        continue
    if i > 6:
        break
    result.append(i)
else:
    result.append("never")
print(result)
i = 0
while i < 5:
    i += 1
    for j in range(i):
        if j == 2:
            break
    else:
        continue
    print("found j=2 at i", i)
    break
