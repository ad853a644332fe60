class Counter:
    count = 0
    items = []
c1, c2 = Counter(), Counter()
c1.count += 1
c1.items.append("x")
print(c1.count, c2.count, Counter.count, c2.items, "count" in vars(c1), "items" in vars(c1))
Counter.count = 10
print(c1.count, c2.count)
del c1.count
print(c1.count)
class WithDefault:
    color = "red"
    def paint(self, color=None):
        if color:
            self.color = color
        return self.color
w = WithDefault()
print(w.paint(), w.paint("blue"), WithDefault.color, WithDefault().paint())
