inventory = {"apple": 5, "pear": 0, "fig": 12}
orders = [("apple", 3), ("pear", 1), ("fig", 12), ("kiwi", 1), ("apple", 3)]
log = []
for item, qty in orders:
    have = inventory.get(item)
    if have is None:
        log.append(f"{item}: unknown")
    elif have < qty:
        log.append(f"{item}: short by {qty - have}")
    else:
        inventory[item] = have - qty
        log.append(f"{item}: ok ({inventory[item]} left)")
print("\n".join(log))
print({k: v for k, v in inventory.items() if v}, sorted(inventory, key=inventory.get))
restock = dict.fromkeys([k for k, v in inventory.items() if v == 0], 10)
inventory.update(restock)
print(inventory)
