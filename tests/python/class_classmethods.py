class Shape:
    registry = {}
    def __init__(self, name):
        self.name = name
    @classmethod
    def register(cls, kind):
        def deco(sub):
            cls.registry[kind] = sub
            return sub
        return deco
    @classmethod
    def create(cls, kind, *args):
        return cls.registry[kind](*args)
    def area(self):
        return 0
@Shape.register("rect")
class Rect(Shape):
    def __init__(self, w, h):
        super().__init__("rect")
        self.w, self.h = w, h
    def area(self):
        return self.w * self.h
@Shape.register("circle")
class Circle(Shape):
    def __init__(self, r):
        super().__init__("circle")
        self.r = r
    def area(self):
        return round(3.14159 * self.r ** 2, 2)
shapes = [Shape.create("rect", 2, 3), Shape.create("circle", 1)]
print([(s.name, s.area()) for s in shapes], sorted(Shape.registry))
class Temperature:
    def __init__(self, c):
        self.c = c
    @classmethod
    def from_f(cls, f):
        return cls((f - 32) * 5 / 9)
    @staticmethod
    def valid(c):
        return c > -273.15
    def __repr__(self):
        return "T(%.1f)" % self.c
print(Temperature.from_f(212), Temperature.valid(-300), Temperature(5).valid(5))
class Sub(Temperature):
    pass
print(type(Sub.from_f(32)).__name__)
