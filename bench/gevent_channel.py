"""Round trips between two gevent greenlets over gevent.queue.Channel (unbuffered).
Usage: python3 gevent_channel.py [ROUND_TRIPS]"""
import sys
import time

import gevent
from gevent.queue import Channel

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
ping, pong = Channel(), Channel()


def pinger():
    for i in range(N):
        ping.put(i)
        pong.get()


def ponger():
    for _ in range(N):
        pong.put(ping.get())


t = time.perf_counter()
gevent.joinall([gevent.spawn(pinger), gevent.spawn(ponger)])
dt = time.perf_counter() - t
print("gevent Channel ping-pong: %d round trips in %.3f s: %.2f M round trips/s" % (N, dt, N / dt / 1e6))
