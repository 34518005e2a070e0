"""Run every benchmark (`make bench`); see docs/benchmarks.md.

python -m bench [--only NAME] [options passed to each benchmark, e.g. --orgs 500 --members 20000]
"""

import argparse
import importlib
import sys

# name -> module with main(argv) -> dict of figures
BENCHMARKS = {
    "import": "bench.import_bench",
    "check": "bench.check_bench",
    "web": "bench.web_bench",
    "freshness": "bench.freshness_bench",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS))
    opts, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    for name in opts.only or list(BENCHMARKS):
        print(f"== benchmark: {name} ==", flush=True)
        importlib.import_module(BENCHMARKS[name]).main(rest)


if __name__ == "__main__":
    main()
