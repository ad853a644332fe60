records = [("bob", 3), ("alice", 1), ("carol", 3), ("dave", 2), ("eve", 1)]
print(sorted(records, key=lambda r: r[1]))
print(sorted(records, key=lambda r: r[1], reverse=True))
print(sorted(records, key=lambda r: (r[1], r[0])))
print(sorted(records))
l = [3, 1, 2]
l.sort(reverse=True)
print(l)
words = "banana Apple cherry apple Banana".split()
print(sorted(words), sorted(words, key=str.lower), sorted(words, key=len))
print(sorted([2.5, 1, -3, 10 ** 20, 0.1]))
print(sorted([[3, 1], [1, 2], [1, 1]]), sorted([(1, "b"), (1, "a")]))
nums = [5, 3, 8, 1]
print(sorted(nums, key=lambda n: -n), nums)
class Item:
    def __init__(self, p):
        self.p = p
    def __lt__(self, o):
        return self.p < o.p
    def __repr__(self):
        return "I%d" % self.p
print(sorted([Item(3), Item(1), Item(2)]), min(Item(5), Item(4)), max([Item(1), Item(9)]))
print(sorted("hello world"), sorted({3: "c", 1: "a"}.items()), sorted(set([3, 1, 2])))
print(list(reversed(sorted(range(5)))))
