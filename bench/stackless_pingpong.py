"""Round trips between two tasklets over stackless channels (run it with pypy3).
Usage: pypy3 stackless_pingpong.py [ROUND_TRIPS]"""
import sys
import time

import stackless

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ping, pong = stackless.channel(), stackless.channel()


def pinger():
    for i in range(N):
        ping.send(i)
        pong.receive()


def ponger():
    for _ in range(N):
        pong.send(ping.receive())


stackless.tasklet(pinger)()
stackless.tasklet(ponger)()
t = time.perf_counter()
stackless.run()
dt = time.perf_counter() - t
print("pypy3 stackless channel ping-pong: %d round trips in %.3f s: %.2f M round trips/s" % (N, dt, N / dt / 1e6))
