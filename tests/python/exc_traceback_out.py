def level3():
    return {}["missing"]
def level2():
    return level3()
def level1():
    try:
        level2()
    except KeyError as e:
        raise ValueError("lookup failed") from e
print("start")
level1()
