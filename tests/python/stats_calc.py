data = [2, 4, 4, 4, 5, 5, 7, 9]
n = len(data)
mean = sum(data) / n
var = sum((x - mean) ** 2 for x in data) / n
std = var ** 0.5
s = sorted(data)
median = (s[n // 2 - 1] + s[n // 2]) / 2 if n % 2 == 0 else s[n // 2]
counts = {}
for x in data:
    counts[x] = counts.get(x, 0) + 1
mode = max(counts, key=lambda k: (counts[k], -k))
print(mean, var, std, median, mode, min(data), max(data), round(std / mean, 4))
print(f"{mean:.3f} {std:.3f} {var:.1e}")
hist = {}
for x in data:
    hist.setdefault(x // 3 * 3, []).append(x)
for k in sorted(hist):
    print(f"{k:>2}-{k + 2:<2} {'*' * len(hist[k])}")
