for i in range(3):
    try:
        if i == 1:
            continue
    finally:
        print("f")
with open_thing() as t:
    x = t.value if t else -0x1F
while x < 10 and not done:
    x += 1
else:
    pass
