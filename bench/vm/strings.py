# String methods: split, join, replace, case, find, formatting.
words = ["alpha", "Beta", "gamma", "DELTA", "epsilon", "zeta"]
out = 0
for i in range(40000):
    line = " ".join(words) + " %d" % i
    parts = line.split()
    up = line.upper().replace("A", "4")
    out += len(parts) + up.find("GAMM4") + len(line.lower().strip())
    out += len("{}-{}".format(parts[0], parts[-1])) + line.count("a")
    if line.startswith("alpha") and line.endswith(str(i)):
        out += 1
print(out)
