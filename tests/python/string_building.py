parts = []
for i in range(5):
    parts.append(str(i) * i)
print("|".join(parts))
s = ""
for c in "abc":
    s += c.upper() + c
print(s)
table = [["name", "qty"], ["apple", 3], ["kiwi", 12]]
for row in table:
    print("%-8s%5s" % tuple(row))
for row in table:
    print("{:<8}{:>5}".format(*row))
width = max(len(str(r[0])) for r in table)
print("\n".join(str(r[0]).ljust(width) + "|" for r in table))
print("=" * 20)
csv = "a,b,c\n1,2,3\n4,5,6"
rows = [line.split(",") for line in csv.splitlines()]
header, data = rows[0], rows[1:]
print([dict(zip(header, r)) for r in data])
print(sum(int(r[2]) for r in data))
text = "the rain in spain stays mainly in the plain"
print(text.title(), text.count("ain"), text.replace("ain", "AIN", 2), text.split("ain"))
print(" ".join(reversed(text.split())), text[::-1][:10], "".join(c for c in text if c not in "aeiou"))
