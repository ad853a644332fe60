# Attribute access and method calls on class instances.
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def moved(self, dx, dy):
        return Point(self.x + dx, self.y + dy)

    def norm1(self):
        return abs(self.x) + abs(self.y)


class Counter:
    def __init__(self):
        self.n = 0

    def tick(self):
        self.n += 1


p = Point(0, 0)
c = Counter()
s = 0
for i in range(150000):
    p = p.moved(1, -1)
    c.tick()
    s += p.norm1() + c.n
print(p.x, p.y, c.n, s)
