# tasklet.run() runs the target now and the caller right after it; switch() runs the
# target and pauses the caller until it is inserted again.
import stackless


def worker(name):
    print(name, "runs")
    stackless.schedule()
    print(name, "again")


a = stackless.tasklet(worker)("a")
b = stackless.tasklet(worker)("b")
print("main runs b")
b.run()
print("main after b.run()")
stackless.run()


def pauser(target):
    print("pauser switches")
    target.switch()
    print("pauser back")


c = stackless.tasklet(worker)("c")
p = stackless.tasklet(pauser)
p(c)
c.remove()
stackless.run()
print("p paused", p.paused, "c alive", c.alive)
p.insert()
stackless.run()
print("p alive", p.alive)
