class InsufficientFunds(Exception):
    def __init__(self, need, have):
        super().__init__(f"need {need}, have {have}")
        self.need, self.have = need, have
class Account:
    _next = 1
    def __init__(self, owner):
        self.owner = owner
        self.id = Account._next
        Account._next += 1
        self._tx = []
    @property
    def balance(self):
        return sum(self._tx)
    def deposit(self, amt):
        if amt <= 0:
            raise ValueError("deposit must be positive")
        self._tx.append(amt)
        return self
    def withdraw(self, amt):
        if amt > self.balance:
            raise InsufficientFunds(amt, self.balance)
        self._tx.append(-amt)
        return self
    def __repr__(self):
        return f"Account#{self.id}({self.owner!r}, {self.balance})"
a = Account("ann").deposit(100).withdraw(30)
b = Account("bo")
print(a, b)
for op in [lambda: b.withdraw(5), lambda: a.deposit(-1), lambda: a.withdraw(70)]:
    try:
        op()
        print("ok", a, b)
    except InsufficientFunds as e:
        print("insufficient:", e, e.need, e.have)
    except ValueError as e:
        print("value error:", e)
print(sorted([a, b], key=lambda acc: acc.balance), [acc.id for acc in (a, b)])
