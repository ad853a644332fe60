CONFIG = {"limit": 3}
items = []
def add(x):
    if len(items) >= CONFIG["limit"]:
        return False
    items.append(x)
    return True
print([add(i) for i in range(5)], items)
def change():
    global CONFIG
    CONFIG = {"limit": 10}
change()
print(add(99), items, CONFIG)
if __name__ == "__main__":
    print("main guard", __name__)
x = 1
def shadow():
    x = 2
    return x
print(shadow(), x)
def read_global():
    return x + 1
print(read_global())
for i in range(3):
    pass
print(i)
del items[0]
print(items, len(items))
