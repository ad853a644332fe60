class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
    def norm1(self):
        return abs(self.x) + abs(self.y)
    @property
    def swapped(self):
        return Point(self.y, self.x)
total = 0
for i in range(300_000):
    p = Point(i, -i)
    total += p.norm1() + p.swapped.x
print(total)
