import re
text = ("From: alice@example.com To: bob@example.org Date: 2024-03-15 "
        "Subject: invoice #12345 total $99.99 see http://example.com/x?y=1 ") * 200
email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
date = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
url = re.compile(r"https?://\S+")
money = re.compile(r"\$\d+(?:\.\d\d)?")
n = 0
for i in range(20):
    n += len(email.findall(text)) + len(date.findall(text)) + len(url.findall(text)) + len(money.findall(text))
    n += len(re.sub(r"\d", "#", text[:2000]))
print(n)
