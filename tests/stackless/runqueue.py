# run queue: insert, remove and schedule order; schedule() returns the current tasklet.
import stackless


def worker(name, n):
    for i in range(n):
        print(name, i)
        r = stackless.schedule()
        print(name, "schedule returned current:", r is stackless.getcurrent())


a = stackless.tasklet(worker)("a", 2)
b = stackless.tasklet(worker)("b", 3)
c = stackless.tasklet(worker)("c", 1)
b.remove()
print("runcount", stackless.getruncount())
stackless.run()
print("b alive", b.alive)
b.insert()
stackless.run()
print("b alive", b.alive)
