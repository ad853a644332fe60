"""VM workloads in bench/vm/ under python3, pypy3 (when installed) and `stackmail run`, in one
run: best-of-N wall time each, stdout checked identical, speed relative to CPython, and the
geometric mean. Usage: python3 bench/vm_bench.py [RUNS] (after `cargo build --release`)."""
import math
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
STACKMAIL = os.path.join(ROOT, "target", "release", "stackmail")
# The interpreter binary itself, not a wrapper (a pyenv shim adds ~0.1 s to every start).
PYTHON3 = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                         capture_output=True, text=True).stdout.strip() or "python3"
interpreters = [("python3", [PYTHON3])]
if shutil.which("pypy3"):
    interpreters.append(("pypy3", ["pypy3"]))
interpreters.append(("stackmail", [STACKMAIL, "run"]))


def best(cmd, script):
    times, out = [], None
    for _ in range(RUNS):
        t = time.perf_counter()
        p = subprocess.run(cmd + [script], capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit("%s %s failed:\n%s" % (cmd[0], script, p.stderr))
        out = p.stdout
    return min(times), out


print("| workload | " + " | ".join("%s (s)" % n for n, _ in interpreters) + " | stackmail vs CPython |")
print("|---|" + "---|" * len(interpreters) + "---|")
ratios = []
for name in sorted(os.listdir(os.path.join(ROOT, "bench", "vm"))):
    script = os.path.join(ROOT, "bench", "vm", name)
    results = [best(cmd, script) for _, cmd in interpreters]
    outs = {out for _, out in results}
    if len(outs) != 1:
        raise SystemExit("%s: outputs differ: %r" % (name, outs))
    ratio = results[0][0] / results[-1][0]
    ratios.append(ratio)
    print("| %s | %s | %.2fx |" % (name[:-3], " | ".join("%.3f" % t for t, _ in results), ratio))
geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
print("\ngeometric mean, stackmail speed relative to CPython: %.2fx" % geo)
