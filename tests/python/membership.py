print(1 in [1, 2], 3 not in (1, 2), "a" in "abc", "ab" in "abc", "" in "abc", "x" in {"x": 1}, 2 in {1, 2})
print([1] in [[1], [2]], (1, 2) in {(1, 2): 0}, 1.0 in [1], True in [1], None in [None], 0 in [False])
print(5 in range(10), 5 in range(0, 10, 2), -1 in range(-5, 0), 10 in range(10))
class Bag:
    def __init__(self, *items):
        self.items = items
    def __contains__(self, x):
        return x in self.items
    def __iter__(self):
        return iter(self.items)
b = Bag(1, 2)
print(1 in b, 3 in b, 3 not in b, list(b))
class IterOnly:
    def __iter__(self):
        yield from [7, 8]
print(7 in IterOnly(), 9 in IterOnly())
