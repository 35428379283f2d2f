"""The demo fill's making process: ``python -m hpi_app.core.demo_making``, started by ``demo.fill``.

It reads the fill's arguments (pickled) from stdin and writes its batches, one pickled
``PreparedTasks`` after another, to stdout, then exits. Anything printed goes to stderr, so
stdout carries the batches only; Ctrl-C is left to the writer, which stops between batches.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    from hpi_app.core.demo import make_batches

    args = pickle.load(sys.stdin.buffer)
    try:
        for prepared in make_batches(*args):
            pickle.dump(prepared, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
    except BrokenPipeError:  # the writer stopped (Ctrl-C, an error): nothing more to make
        return


if __name__ == "__main__":
    main()
