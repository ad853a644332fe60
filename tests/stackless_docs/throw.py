# throw and raise_exception: the exception is raised where the target stopped (here, blocked
# in receive, which it leaves), at once; with pending=True it waits for the target's turn.
import stackless

ch = stackless.channel()


def victim(name):
    try:
        ch.receive()
    except ValueError as e:
        print(name, "got", repr(e))
    except KeyError as e:
        print(name, "got KeyError", e)


a = stackless.tasklet(victim)("a")
b = stackless.tasklet(victim)("b")
c = stackless.tasklet(victim)("c")
stackless.run()
print("balance", ch.balance, "blocked", a.blocked, b.blocked)
a.throw(ValueError, "thrown")
print("after throw: a alive", a.alive, "balance", ch.balance)
b.raise_exception(KeyError, "raised")
print("after raise_exception: b alive", b.alive, "balance", ch.balance)
c.throw(ValueError("pending"), pending=True)
print("pending: c alive", c.alive, "scheduled", c.scheduled)
stackless.run()
print("c alive", c.alive, "balance", ch.balance)
