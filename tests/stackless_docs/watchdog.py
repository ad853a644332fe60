# run(timeout=N): a tasklet that runs N instructions without switching is interrupted and
# returned (off the run queue); atomic() holds off the interruption.
import stackless

state = {"spins": 0}


def spinner():
    while True:
        state["spins"] += 1


def polite(n):
    for i in range(n):
        stackless.schedule()
    print("polite done")


stackless.tasklet(polite)(3)
s = stackless.tasklet(spinner)()
victim = stackless.run(timeout=1000)
print("interrupted the spinner:", victim is s, "spins > 0:", state["spins"] > 0)
print("alive", s.alive, "scheduled", s.scheduled, "paused", s.paused)
s.kill()
print("killed: alive", s.alive)

# The same loop finishes when it is atomic.


def atomic_worker():
    with stackless.atomic():
        total = 0
        for i in range(5000):
            total += i
    print("atomic total", total)


stackless.tasklet(atomic_worker)()
print("returned", stackless.run(timeout=100))
# No budget at all: run() waits for everything.
print("returned", stackless.run())
