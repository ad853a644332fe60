def parse(s):
    return int(s)
print(parse("12"))
parse("x1")
