def handler(ev):
return ev
