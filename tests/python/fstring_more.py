x, y = 3, 4.5
name = "World"
print(f"Hello {name}!", f"{x}+{y}={x + y}", f"{x * 2:>5}", f"{y:08.3f}", f"{name.upper()}")
print(f"{x!r} {name!r} {name!s}", f"{[1, 2]!r}", f"{'a' + 'b'}", f"{x if x > 2 else 0}")
d = {"k": 1}
print(f"{d['k']}", f"{len(d)}", f"{{escaped}}", f"{x:{y:.0f}d}|")
print(f"{3.14159:.3}", f"{1234.5:,.2f}", f"{0.5:.1%}", f"{12:b}", f"{255:#06x}", f"{-5:+}")
w = 6
print(f"{'left':<{w}}|{'right':>{w}}|{'mid':^{w}}|")
print(f"""triple {x}
second line {y}""")
print(f"{x}" f"{y}" "plain" f"{name}")
items = ["a", "b"]
print(f"{', '.join(items)}", f"{len(items) * '-'}")
print(f"{1e-7}", f"{1e22}", f"{float('inf')}", f"{-0.0}", f"{2**64}")
class P:
    def __format__(self, spec):
        return "P(" + spec + ")"
    def __str__(self):
        return "Pstr"
    def __repr__(self):
        return "Prepr"
print(f"{P()}", f"{P():xyz}", f"{P()!r}", f"{P()!s}")
print(f"{x=}, {y = }, {name=!s}")
