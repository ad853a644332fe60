# Serializing and restoring a tasklet blocked mid-loop (a frame with locals, a generator, a
# closure and its channel): N round trips of pickle.dumps and pickle.loads.
import pickle
import stackless
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
ch = stackless.channel()


def numbers():
    n = 0
    while True:
        yield n
        n += 1


def worker(gen, scale):
    seen = {"count": 0, "last": None}
    for i in range(1000000):
        v = ch.receive()
        seen["count"] += 1
        seen["last"] = (v, next(gen) * scale)


t = stackless.tasklet(worker)(numbers(), 3)
stackless.run()
data = pickle.dumps((t, ch))
t0 = time.perf_counter()
for i in range(N):
    data = pickle.dumps((t, ch))
t1 = time.perf_counter()
for i in range(N):
    pickle.loads(data)
t2 = time.perf_counter()
print("%d bytes; dumps %.1f us, loads %.1f us" % (len(data), (t1 - t0) / N * 1e6, (t2 - t1) / N * 1e6))
