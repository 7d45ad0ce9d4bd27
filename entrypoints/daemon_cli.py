"""``idtrackerai_daemon WATCH_DIR [--load defaults.toml ...] [--output_dir DIR] [--settle_s S] [--dask_scheduler ADDRESS] [--status]``.

Tracks every video that arrives in WATCH_DIR, once: a watchdog observer (polling on network
shares, where inotify sees nothing) tells the ``AutoTracking`` use case what it saw; the queue is
``WATCH_DIR/idtrackerai_jobs.sqlite``; events go to ``WATCH_DIR/idtrackerai_daemon.log`` and the
terminal. A ``<video stem>.toml`` beside a video overrides the defaults (``video_paths`` is set by
the daemon). SIGTERM or Ctrl+C let the running session finish, then the daemon exits; after a
kill -9 the session that was running is tracked again at the next start, resuming from its
checkpoints. With ``--dask_scheduler`` (``local`` or an address) sessions run as Dask tasks, as
many at once as the cluster has worker threads; SIGTERM then stops submitting and waits for the
running ones.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from queue import Empty, SimpleQueue

from idtracker.application.errors import UserError

#: File systems where inotify sees no changes made by other machines: watched by polling.
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "glusterfs", "ceph")
DB_NAME = "idtrackerai_jobs.sqlite"
LOG_NAME = "idtrackerai_daemon.log"
TICK_S = 0.2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idtrackerai_daemon", description="Track every video that arrives in a folder.")
    parser.add_argument("watch_dir", type=Path, metavar="WATCH_DIR")
    parser.add_argument("--load", nargs="+", type=Path, default=[], metavar="TOML",
                        help="default settings for every video (a <video stem>.toml beside a video overrides them)")
    parser.add_argument("--output_dir", type=Path, default=None, help="where sessions go (default: beside each video)")
    parser.add_argument("--settle_s", type=float, default=5.0,
                        help="seconds a video's size must stay the same before it counts as arrived (default: 5)")
    parser.add_argument("--polling", action="store_true", help="poll the folder instead of inotify (network shares "
                                                                 "are detected and polled anyway)")
    parser.add_argument("--dask_scheduler", default=None, metavar="ADDRESS",
                        help="run sessions as Dask tasks: 'local' (a LocalCluster of one worker per CPU) or a "
                             "scheduler address such as tcp://10.0.0.5:8786")
    parser.add_argument("--status", action="store_true", help="print one line per video, STATE PATH, and exit")
    parser.add_argument("--exit_when_idle", action="store_true",
                        help="exit once every video seen is tracked or failed (for scripts and tests)")
    return parser


def is_network_share(folder: Path) -> bool:
    """Whether ``folder`` lives on a network file system (by /proc/mounts; False where unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return False
    folder = folder.resolve()
    best, kind = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and (str(folder) + "/").startswith(parts[1].rstrip("/") + "/") and len(parts[1]) > len(best):
            best, kind = parts[1], parts[2]
    return kind in NETWORK_FILESYSTEMS


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folder = args.watch_dir
    if not folder.is_dir():
        print(f"idtrackerai_daemon: error: WATCH_DIR {folder} is not a folder", file=sys.stderr)
        return 2
    from idtracker.adapters.storage.sqlite_jobs import SqliteJobQueue

    queue = SqliteJobQueue(folder / DB_NAME)
    if args.status:
        for job in queue.all():
            print(f"{job.state} {job.path}")
        return 0
    try:
        return _run(args, queue)
    except UserError as error:
        print(f"idtrackerai_daemon: error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, queue) -> int:
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    from idtracker.adapters.config.toml_settings import load_toml  # defaults checked before watching
    from .container import build_auto_tracking

    folder = args.watch_dir.resolve()
    for path in args.load:
        load_toml(path)
    auto, events = build_auto_tracking(folder, queue, args.load, args.output_dir, args.settle_s, folder / LOG_NAME,
                                       args.dask_scheduler)
    seen: SimpleQueue[Path] = SimpleQueue()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            for name in ("src_path", "dest_path"):
                path = getattr(event, name, None)
                if path and not event.is_directory:
                    seen.put(Path(os.fsdecode(path)))

    polling = args.polling or is_network_share(folder)
    observer = (PollingObserver if polling else Observer)()
    observer.schedule(Handler(), str(folder), recursive=False)
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    for path in auto.recover():
        print(f"resuming {path} (the daemon was stopped while tracking it)")
    observer.start()
    print(f"watching {folder} ({'polling' if polling else 'inotify'}); jobs in {folder / DB_NAME}; "
          f"log {folder / LOG_NAME}")
    for path in sorted(folder.iterdir()):
        seen.put(path)
    step = auto.run_next if auto.launcher is None else auto.run_distributed
    try:
        while not stopping:
            _drain(seen, auto)
            auto.poll()
            if not step():
                if args.exit_when_idle and not auto.pending and seen.empty() and not auto.running:
                    break
                time.sleep(TICK_S)
        while auto.running:  # stopping: the sessions already on the cluster finish
            auto.collect()
            time.sleep(TICK_S)
    finally:
        observer.stop()
        observer.join()
        if auto.launcher is not None:
            auto.launcher.close()
        events.close()
    return 0


def _drain(seen, auto) -> None:
    while True:
        try:
            auto.noticed(seen.get_nowait())
        except Empty:
            return


if __name__ == "__main__":
    sys.exit(main())
