# JSON round trip: build records, dumps, loads, compare.
import json


def make_records(n):
    return [
        {
            "id": i,
            "name": "user-%d" % i,
            "active": i % 3 == 0,
            "score": i * 1.5,
            "tags": ["t%d" % (i % 7), "g%d" % (i % 5)],
            "address": {"city": "city-%d" % (i % 50), "zip": "%05d" % (i * 7 % 100000)},
        }
        for i in range(n)
    ]


records = make_records(2000)
text = json.dumps(records, sort_keys=True)
back = json.loads(text)
assert back == records
text2 = json.dumps(back, indent=1)
back2 = json.loads(text2)
print("checksum", len(text), len(text2), sum(r["id"] for r in back2 if r["active"]))
