class Node:
    def __init__(self, v):
        self.v = v
        self.peer = None
total = 0
for i in range(20000):
    a = Node(i)
    b = Node(i + 1)
    a.peer = b
    b.peer = a
    lst = [a, b]
    lst.append(lst)
    d = {"self": None}
    d["self"] = d
    total += a.peer.v
print(total)
def make_cycle():
    x = []
    x.append(x)
    return len(x)
print(sum(make_cycle() for _ in range(10000)))
