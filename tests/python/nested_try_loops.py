results = []
for a in [1, 0, 2]:
    for b in [1, 0]:
        try:
            try:
                results.append(a // b)
            except ZeroDivisionError:
                results.append("z")
                if a == 0:
                    break
        finally:
            results.append(".")
print(results)
def first_valid(items):
    for it in items:
        try:
            return int(it)
        except ValueError:
            continue
        finally:
            print("checked", it)
    return None
print(first_valid(["a", "b", "7", "8"]))
