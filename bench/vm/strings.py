words = ("alpha beta gamma delta epsilon zeta eta theta " * 20).split()
total = 0
for i in range(20_000):
    line = " ".join(words[i % 50: i % 50 + 30])
    total += len(line.upper().replace("A", "4").split("E"))
    total += line.count("ta") + line.find("zeta") + len(line.strip().title())
    total += len(f"{i:08d}-{line[:10]!r}")
print(total)
