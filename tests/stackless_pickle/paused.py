# A tasklet paused mid-loop (schedule_remove) is pickled with a generator and a closure it
# holds, and resumed in another process after insert().
import pickle
import stackless
import sys


def counter(start):
    n = start
    while True:
        yield n
        n += 1


def make_adder(k):
    def add(x):
        return x + k
    return add


def worker(gen, add):
    for i in range(6):
        print("step", i, add(next(gen)))
        if i == 2:
            stackless.schedule_remove()
    print("worker done")


mode = sys.argv[1] if len(sys.argv) > 1 else "whole"
if mode in ("whole", "save"):
    t = stackless.tasklet(worker)(counter(100), make_adder(1000))
    stackless.run()
    print("paused", t.paused, t.alive)
    if mode == "save":
        with open(sys.argv[2], "wb") as f:
            f.write(pickle.dumps(t))
        print("saved")
        sys.exit(0)
else:
    with open(sys.argv[2], "rb") as f:
        t = pickle.loads(f.read())
    print("[load] paused", t.paused, t.alive)
t.insert()
stackless.run()
print("alive", t.alive)
