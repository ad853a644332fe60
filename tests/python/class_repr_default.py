class Plain:
    pass
p = Plain()
r = repr(p)
print(r.startswith("<__main__.Plain object at 0x"), str(p) == r, r.endswith(">"))
class OnlyRepr:
    def __repr__(self):
        return "OnlyRepr!"
print(OnlyRepr(), str(OnlyRepr()), [OnlyRepr()], f"{OnlyRepr()}", "%s" % OnlyRepr())
class OnlyStr:
    def __str__(self):
        return "OnlyStr!"
o = OnlyStr()
print(o, str(o), repr(o).startswith("<__main__.OnlyStr object"), [str(o)])
print(repr(Plain).startswith("<class '__main__.Plain'>"), Plain.__name__, type(p).__name__)
