# An "agent step": parse a JSON tool response, compute over it, format a report.
import json

orders = [
    {"order_id": "o-%05d" % i, "customer": "c-%03d" % (i % 211), "region": ["eu", "us", "apac"][i % 3],
     "items": [{"sku": "s-%d" % ((i + k) % 97), "qty": (i + k) % 5 + 1, "price": round(3.5 + (i * k) % 40 * 0.25, 2)}
               for k in range(i % 4 + 1)],
     "status": "shipped" if i % 4 else "pending"}
    for i in range(1500)
]
payload = json.dumps({"tool": "orders.search", "ok": True, "result": {"orders": orders}})


def step(raw):
    msg = json.loads(raw)
    by_region = {}
    by_customer = {}
    for o in msg["result"]["orders"]:
        total = sum(it["qty"] * it["price"] for it in o["items"])
        r = by_region.setdefault(o["region"], {"orders": 0, "revenue": 0.0, "pending": 0})
        r["orders"] += 1
        r["revenue"] += total
        r["pending"] += o["status"] == "pending"
        by_customer[o["customer"]] = by_customer.get(o["customer"], 0.0) + total
    top = sorted(by_customer.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    lines = ["| region | orders | revenue | pending |", "|---|---:|---:|---:|"]
    for region in sorted(by_region):
        r = by_region[region]
        lines.append(f"| {region} | {r['orders']} | {r['revenue']:,.2f} | {r['pending']} |")
    lines.append("")
    lines.extend(f"{i + 1}. {c}: {v:.2f}" for i, (c, v) in enumerate(top))
    return json.dumps({"role": "assistant", "content": "\n".join(lines)})


out = ""
for _ in range(2):
    out = step(payload)
print("checksum", len(out), out.count("|"), json.loads(out)["content"].splitlines()[2])
