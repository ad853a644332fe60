class PolicyError(Exception):
    def __init__(self, code, text):
        super().__init__(f"{code} {text}")
print("checking")
raise PolicyError(550, "rejected")
