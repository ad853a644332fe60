# A tasklet blocked on a channel mid-loop is pickled with its channel in one process and
# finishes the loop in another: the two runs together print what one uninterrupted run does.
import pickle
import stackless
import sys

ch = stackless.channel()


def worker(n):
    total = 0
    for i in range(n):
        total += ch.receive()
        print("got", i, total)
    print("done", total)


mode = sys.argv[1] if len(sys.argv) > 1 else "whole"
if mode in ("whole", "save"):
    t = stackless.tasklet(worker)(5)
    stackless.run()
    ch.send(10)
    ch.send(20)
    if mode == "save":
        with open(sys.argv[2], "wb") as f:
            f.write(pickle.dumps((t, ch)))
        print("saved")
        sys.exit(0)
else:
    with open(sys.argv[2], "rb") as f:
        t, ch = pickle.loads(f.read())
    print("[load] loaded", t.alive)
    stackless.run()
    print("[load] blocked again", t.blocked, ch.balance)
for v in (30, 40, 50):
    ch.send(v)
stackless.run()
print("alive", t.alive)
