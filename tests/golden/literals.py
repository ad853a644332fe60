a = 0x_ff + 0o17 + 0b101 + 1_000 + 99999999999999999999
b = 1.5e3, .5, 3 if False else None
s = 'x\ty' + "q\"" + r'\n' + b'\x00'.decode() + """multi
line"""
f = f"{a!r:>10} {b[0]:.2f} {{literal}} {s=}"
class K(Base):
    @property
    def v(self): return self._v
