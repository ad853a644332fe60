def make_bank():
    accounts = {}
    def open_account(name, amount=0):
        accounts[name] = amount
    def deposit(name, amount):
        accounts[name] += amount
        return accounts[name]
    def report():
        return sorted(accounts.items())
    return open_account, deposit, report
op, dep, rep = make_bank()
op("a")
op("b", 10)
dep("a", 5)
dep("b", 1)
print(rep())
def accumulator():
    total = 0
    def add(x):
        nonlocal total
        total += x
        return total
    def reset():
        nonlocal total
        total = 0
    return add, reset
add, reset = accumulator()
print(add(1), add(2), add(3))
reset()
print(add(10))
def pipeline(*fs):
    def run(x):
        for f in fs:
            x = f(x)
        return x
    return run
print(pipeline(str.strip, str.upper, lambda s: s + "!")("  hi  "))
