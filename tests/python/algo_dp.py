def lcs(a, b):
    dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                dp[i][j] = dp[i - 1][j - 1] + 1
            else:
                dp[i][j] = max(dp[i - 1][j], dp[i][j - 1])
    return dp[-1][-1]
def edit(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
def coins(amount, denoms):
    ways = [1] + [0] * amount
    for c in denoms:
        for v in range(c, amount + 1):
            ways[v] += ways[v - c]
    return ways[amount]
print(lcs("AGGTAB", "GXTXAYB"), edit("kitten", "sitting"), coins(100, [1, 5, 10, 25, 50]))
