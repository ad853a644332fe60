# Channel ping-pong between two script tasklets: N round trips (two channel exchanges each).
import stackless
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000


def ping(a, b):
    for i in range(N):
        a.send(i)
        b.receive()


def pong(a, b):
    for i in range(N):
        b.send(a.receive())


a = stackless.channel()
b = stackless.channel()
stackless.tasklet(ping)(a, b)
stackless.tasklet(pong)(a, b)
t0 = time.perf_counter()
stackless.run()
dt = time.perf_counter() - t0
print("%d round trips in %.3f s: %.0f round trips/s" % (N, dt, N / dt))
