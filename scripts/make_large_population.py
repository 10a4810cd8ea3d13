"""Write a large, realistic room-air-conditioner population (identity columns as a platform
export has them: enterprise, credit code, standard number and title, model) for measuring
`benchmark rank` at scale. Values are seeded random draws around the same market values as
scripts/make_example_population.py: example input, not data about any product.

    python scripts/make_large_population.py ROWS OUT.csv|OUT.parquet [--seed N]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from benchmark.credit_code import expected_check_character

CITIES = ["珠海", "佛山", "青岛", "宁波", "合肥", "武汉",
          "广州", "苏州", "重庆", "郑州", "南京", "杭州"]
WORDS = ["澜湾", "华凌", "海川", "东润", "星禾", "嘉泰",
         "明远", "瑞丰", "启航", "博越", "中科", "恒达"]


def population(rows: int, seed: int = 20261201, enterprises: int = 5000) -> pd.DataFrame:
    """`rows` rows drawn from `enterprises` fictitious makers (each with a valid credit code)."""
    rng = np.random.default_rng(seed)
    names, codes = [], []
    for i in range(enterprises):
        body = f"91{rng.integers(110000, 650000)}MA{rng.integers(0, 99999):05d}AL"
        names.append(f"{CITIES[i % 12]}{WORDS[(i * 7) % 12]}空调设备有限公司{i + 1:05d}")
        codes.append(body + expected_check_character(body))
    maker = rng.integers(0, enterprises, rows)
    heat_pump = rng.random(rows) < 0.8
    capacity = rng.choice([2600, 3200, 3500, 5000, 5100, 7200], rows)
    number = np.arange(1, rows + 1)
    apf = np.round(rng.uniform(4.3, 5.8, rows), 2)
    seer = np.round(rng.uniform(5.0, 7.0, rows), 2)
    return pd.DataFrame({
        "企业名称": np.asarray(names, dtype=object)[maker],
        "统一社会信用代码": np.asarray(codes, dtype=object)[maker],
        "标准编号": pd.Series(number).map("Q/EX{:07d} 001-2025".format).to_numpy(),
        "标准名称": "房间空气调节器",
        "型号": (pd.Series(capacity // 100).astype(str) + "GW/EX"
                 + pd.Series(number).astype(str)).radd("KFR-").to_numpy(),
        "cooling_capacity [W]": capacity,
        "type": np.where(heat_pump, "heat_pump", "cooling_only"),
        "structure": "split",
        "speed_control": "inverter",
        "mandatory_conformity": "是",
        "apf [W·h/W·h]": np.where(heat_pump, apf, np.nan),
        "seer [W·h/W·h]": np.where(heat_pump, np.nan, seer),
        "eer [W/W]": np.round(rng.uniform(3.2, 4.2, rows), 2),
        "noise_indoor [dB(A)]": rng.choice([36, 37, 38, 38, 39, 40, 42], rows),
        "noise_outdoor [dB(A)]": rng.choice([48, 49, 50, 52, 54], rows),
        "refrigerant_gwp": rng.choice([675, 675, 2088, 3], rows),
        "shipments": rng.integers(1000, 200000, rows),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    frame = population(args.rows, args.seed)
    if args.out.endswith(".parquet"):
        frame.to_parquet(args.out, index=False, row_group_size=200_000)
    else:
        frame.to_csv(args.out, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
