def load(cfg):
    try:
        return cfg["port"]
    except KeyError as e:
        raise LookupError("config incomplete") from e
print("loading")
load({})
