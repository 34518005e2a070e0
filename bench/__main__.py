"""Run the benchmarks; see docs/benchmarks.md."""

import sys


def main() -> None:
    print("no benchmarks registered yet", file=sys.stderr)


if __name__ == "__main__":
    main()
