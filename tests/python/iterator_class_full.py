class Countdown:
    def __init__(self, start):
        self.start = start
    def __iter__(self):
        return CountdownIter(self.start)
class CountdownIter:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return self
    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n + 1
c = Countdown(3)
print(list(c), list(c), sum(c), max(c), sorted(c), [x * 2 for x in c], 2 in c)
it = iter(c)
print(next(it), next(it), next(it), next(it, "done"))
a, b, cc = Countdown(3)
print(a, b, cc, dict(zip(Countdown(2), "ab")), list(enumerate(Countdown(2))))
