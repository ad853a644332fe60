class Temp:
    def __init__(self):
        self._c = 25
    def get_f(self):
        return self._c * 9 / 5 + 32
    def set_f(self, f):
        self._c = (f - 32) * 5 / 9
    fahrenheit = property(get_f, set_f)
t = Temp()
print(t.fahrenheit)
t.fahrenheit = 212
print(t._c, t.fahrenheit)
class ReadOnly:
    @property
    def value(self):
        return 42
r = ReadOnly()
print(r.value)
try:
    r.value = 1
except AttributeError:
    print("read-only")
