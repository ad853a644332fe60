class Parser:
    def parse(self, s):
        return [self.item(x) for x in s.split(",")]
    def item(self, x):
        return int(x)
print(Parser().parse("1,2"))
Parser().parse("1,z")
