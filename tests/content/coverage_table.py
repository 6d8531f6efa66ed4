"""The content's coverage (category × dimension × depth) as a text table."""

from collections import Counter
from pathlib import Path

from app.catalog import content
from app.catalog.vocabulary import Category, Depth, Dimension

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


def coverage_table(directory: Path = CONTENT_DIR) -> str:
    catalogs = content.read_directory(directory)
    counts: Counter[tuple[str, str, str]] = Counter()
    for catalog in catalogs:
        for prompt in catalog.prompts:
            for dimension in prompt.dimensions:
                counts[(prompt.category, dimension, prompt.depth)] += 1
    dims = list(Dimension)
    header = f"{'category / depth':<30}" + "".join(f"{d.value[:9]:>10}" for d in dims)
    lines = [header, "-" * len(header)]
    for category in Category:
        for depth in Depth:
            row = f"{category.value + ' / ' + depth.value:<30}"
            row += "".join(f"{counts[(category, d, depth)]:>10}" for d in dims)
            lines.append(row)
    totals = f"{'all':<30}" + "".join(
        f"{sum(v for k, v in counts.items() if k[1] == d):>10}" for d in dims
    )
    prompts = sum(len(c.prompts) for c in catalogs)
    lines += ["-" * len(header), totals, f"{prompts} prompts in {len(catalogs)} catalogs"]
    return "\n".join(lines)
