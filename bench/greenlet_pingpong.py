"""Round trips between two greenlets that switch to each other directly (CPython + greenlet).
Usage: python3 greenlet_pingpong.py [ROUND_TRIPS]"""
import sys
import time

from greenlet import greenlet

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def ping():
    for i in range(N):
        pong_g.switch(i)


def pong(v):
    while True:
        v = ping_g.switch(v)


ping_g = greenlet(ping)
pong_g = greenlet(pong)
t = time.perf_counter()
ping_g.switch()
dt = time.perf_counter() - t
print("greenlet switch ping-pong: %d round trips in %.3f s: %.2f M round trips/s" % (N, dt, N / dt / 1e6))
