"""Serve `openum.web.main:app` from forked children of one preloaded process, as `gunicorn --preload`.

Reads a port per line on stdin, forks a child that runs uvicorn on it, and prints the child's pid.
The application (settings, plan packs) is built once here, so a child killed with SIGKILL is
replaced in a fraction of a second: the crash test restarts the service ten times within budget.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def main() -> None:
    import uvicorn

    from openum.web.main import app  # the deployed entry point, built from OPENUM_* variables

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped by the kernel
    children: list[int] = []
    for line in sys.stdin:
        port = int(line)
        pid = os.fork()
        if pid == 0:
            os.dup2(2, 1)  # keep the pid protocol on stdout clean
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            app.state.engine.dispose(close=False)  # never share the parent's connections
            uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
            os._exit(0)
        children.append(pid)
        print(pid, flush=True)
    for pid in children:  # the test went away (stdin closed): leave no server behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
