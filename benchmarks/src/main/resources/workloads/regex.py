# Regular expressions: compile, findall, sub and match over generated log lines.
import re

lines = []
for i in range(6000):
    lines.append("2025-%02d-%02d 12:%02d:%02d INFO user=u%d ip=10.%d.%d.%d path=/api/v1/items/%d status=%d"
                 % (i % 12 + 1, i % 28 + 1, i % 60, (i * 7) % 60, i % 97, i % 256, (i * 3) % 256,
                    (i * 5) % 256, i, 200 if i % 11 else 500))
text = "\n".join(lines)

ips = re.findall(r"ip=(\d+\.\d+\.\d+\.\d+)", text)
errors = re.findall(r"^(\S+) .*status=5\d\d$", text, re.M)
redacted = re.sub(r"user=u(\d+)", lambda m: "user=<%d>" % (len(m.group(1))), text)
line_re = re.compile(r"(?P<date>\d{4}-\d\d-\d\d) (?P<time>[\d:]+) (?P<level>\w+) user=(?P<user>\w+)")
users = {}
for line in lines:
    m = line_re.match(line)
    users[m.group("user")] = users.get(m.group("user"), 0) + 1
print("checksum", len(ips), len(errors), len(redacted), len(users), max(users.values()))
