s = "  Hello World  "
print(s.strip().lower().replace("world", "there").title().center(20, "*"))
words = "the cat sat on the mat".split()
print(sorted(set(words), key=words.index), " ".join(w[::-1] for w in words).upper())
print("-".join(sorted("python"))[::2], ",".join(str(i * i) for i in range(5)).split(",")[2:])
data = " 3, 1 ,2 "
print(sorted(int(x) for x in data.split(",")), max(map(int, data.split(","))))
