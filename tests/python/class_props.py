class Account:
    rate = 0.05
    _count = 0
    def __init__(self, owner, balance=0):
        self.owner = owner
        self._balance = balance
        Account._count += 1
    @property
    def balance(self):
        return self._balance
    @balance.setter
    def balance(self, v):
        if v < 0:
            raise ValueError("negative balance")
        self._balance = v
    @property
    def interest(self):
        return self._balance * self.rate
    @staticmethod
    def validate(name):
        return name.isalpha()
    @classmethod
    def count(cls):
        return cls._count
    @classmethod
    def from_str(cls, s):
        owner, bal = s.split(":")
        return cls(owner, int(bal))
acct = Account.from_str("alice:100")
print(acct.owner, acct.balance, acct.interest, Account.count(), Account.validate("bob"), acct.validate("b0b"))
acct.balance = 50
print(acct.balance)
try:
    acct.balance = -1
except ValueError as e:
    print("ValueError", e)
try:
    acct.interest = 5
except AttributeError as e:
    print("AttributeError")
class Savings(Account):
    rate = 0.1
    def __init__(self, owner, balance=0, limit=3):
        super().__init__(owner, balance)
        self.limit = limit
s = Savings("carol", 200)
print(s.interest, s.limit, Account.count(), Savings.count(), isinstance(s, Account))
print(sorted(k for k in vars(s)), getattr(s, "owner"), hasattr(s, "nope"))
class Lazy:
    def __init__(self):
        self.computed = 0
    @property
    def value(self):
        self.computed += 1
        return 42
l = Lazy()
print(l.value, l.value, l.computed)
class Node:
    def __init__(self, val, next=None):
        self.val = val
        self.next = next
    def __iter__(self):
        node = self
        while node:
            yield node.val
            node = node.next
print(list(Node(1, Node(2, Node(3)))))
class Base:
    def greet(self):
        return "base:" + self.who()
    def who(self):
        return "base"
class Child(Base):
    def who(self):
        return "child"
print(Child().greet(), Base.greet(Child()))
