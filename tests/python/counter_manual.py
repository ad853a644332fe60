def count(items):
    c = {}
    for x in items:
        c[x] = c.get(x, 0) + 1
    return c
def most_common(c, n):
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
words = "a b c a b a d e a b".split()
c = count(words)
print(c, most_common(c, 2), sum(c.values()), len(c))
letters = count("hello world")
print(most_common(letters, 3), letters.get("z", 0))
