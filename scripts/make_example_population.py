"""Write examples/populations/room-air-conditioners.csv: an illustrative population of room air
conditioner standards. Enterprises, standards and values are fictitious (seeded random draws around
typical market values); they are example input, not data about any product. Run from the project
root: `python scripts/make_example_population.py`."""

import csv
import random

from benchmark.credit_code import expected_check_character

rng = random.Random(20261123)
CITIES = ["珠海", "佛山", "青岛", "宁波", "合肥", "武汉", "广州", "苏州", "重庆", "郑州", "南京", "杭州"]
WORDS = ["澜湾", "华凌", "海川", "东润", "星禾", "嘉泰", "明远", "瑞丰", "启航", "博越", "中科", "恒达"]
rows = []
for i in range(40):
    body = f"91{rng.randint(110000, 650000)}MA{rng.randint(0, 99999):05d}{rng.choice('ABCDEFGHJK')}{rng.choice('LMNPQRTUWXY')}"
    body = body[:17]
    code = body + expected_check_character(body)
    heat_pump = rng.random() < 0.8
    capacity = rng.choice([2600, 3200, 3500, 5000, 5100, 7200])
    rec = {
        "企业名称": f"{CITIES[i % len(CITIES)]}{WORDS[(i * 7) % len(WORDS)]}空调设备有限公司{i + 1:02d}",
        "统一社会信用代码": code,
        "标准编号": f"Q/EX{i + 1:03d} 001-2025",
        "标准名称": "房间空气调节器",
        "型号": f"KFR-{capacity // 100}GW/EX{i + 1:02d}",
        "cooling_capacity [W]": capacity,
        "type": "heat_pump" if heat_pump else "cooling_only",
        "structure": "split",
        "speed_control": "inverter",
        "mandatory_conformity": "是",
        "apf [W·h/W·h]": round(rng.uniform(4.3, 5.8), 2) if heat_pump else "",
        "seer [W·h/W·h]": "" if heat_pump else round(rng.uniform(5.0, 7.0), 2),
        "eer [W/W]": round(rng.uniform(3.2, 4.2), 2),
        "noise_indoor [dB(A)]": rng.choice([36, 37, 38, 38, 39, 40, 42]),
        "noise_outdoor [dB(A)]": rng.choice([48, 49, 50, 52, 54]),
        "refrigerant_gwp": rng.choice([675, 675, 2088, 3]),
        "规范性引用文件": rng.choice(["GB 21455-2019", "GB 21455-2019", "GB 21455-2019；GB 12021.3-2004"]),
        "shipments": rng.randint(1000, 200000),
    }
    rows.append(rec)
rows[5]["apf [W·h/W·h]"] = "≥５．２０"  # written as some standards print it
rows[7]["apf [W·h/W·h]"] = "high"  # an unusable cell: the row is reported and left out
with open("examples/populations/room-air-conditioners.csv", "w", encoding="utf-8", newline="") as fh:
    writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
