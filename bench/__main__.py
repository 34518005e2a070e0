"""Run every benchmark (`make bench`); see docs/benchmarks.md.

python -m bench [--only NAME] [options passed to each benchmark, e.g. --orgs 500 --members 20000]
"""

import argparse
import importlib
import sys

# name -> module with main(argv) -> dict of figures, and the options it is run with
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "import": ("bench.import_bench", []),
    "check": ("bench.check_bench", []),
    "web": ("bench.web_bench", []),  # readers back to back: the stress figure
    "web-reading": ("bench.web_bench", ["--think", "1"]),  # readers who read each page
    "freshness": ("bench.freshness_bench", []),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS))
    opts, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    for name in opts.only or list(BENCHMARKS):
        print(f"== benchmark: {name} ==", flush=True)
        module, options = BENCHMARKS[name]
        importlib.import_module(module).main([*options, *rest])


if __name__ == "__main__":
    main()
