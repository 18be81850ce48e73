"""reservoir-agent keys USER | pull | run [--once]: what sshd and systemd run."""

import argparse
import sys
from datetime import datetime, timezone

from . import access, state
from .config import ConfigError, load


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="reservoir-agent")
    parser.add_argument("--config", default="/etc/reservoir-agent.conf")
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="print the authorized keys of a local account now (AuthorizedKeysCommand)")
    keys.add_argument("user")
    commands.add_parser("pull", help="fetch this machine's state from the server into the cache")
    run = commands.add_parser("run", help="the service: pull, warn and end sessions, report use")
    run.add_argument("--once", action="store_true", help="one pass (pull, enforce, report), then exit")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"reservoir-agent: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        # Here, not at the top: sshd starts `keys` on every login, and the service's modules (process
        # scanning, signals, the webhook receiver) would add a third to its answer time.
        from . import loop

        return loop.run(config, once=args.once)
    if args.command == "pull":
        try:
            state.pull(config)
        except state.Unreachable as exc:
            print(f"reservoir-agent: the server cannot be reached ({exc}); the cache stays", file=sys.stderr)
            return 1
        return 0
    # sshd reads stdout; anything else goes to stderr, and a failure prints no key (fail closed).
    now = datetime.now(timezone.utc)
    for key in access.authorized_keys(config, state.current(config), args.user, now):
        print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
