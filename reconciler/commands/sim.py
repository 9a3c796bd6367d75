"""`growatt-reconcile sim serve`: run the simulated Growatt cloud on loopback."""

from __future__ import annotations

import argparse

HELP = "run the built-in simulator of the Growatt cloud (sim serve)"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: addresses only this machine can reach."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="sim_action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve the API until interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a --host that is not loopback")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve.add_argument("--state", metavar="FILE", help="persist the state here")
    serve.add_argument("--fixture", metavar="FILE", help="plants and devices to start from")
    serve.add_argument("--token", action="append", default=[], metavar="T",
                       help="accept only this token (repeatable; default: any)")
    serve.add_argument("--rate-limit", default="off",
                       help="off | request:SECONDS | endpoint:SECONDS (default off)")
    serve.add_argument("--rate-limit-writes", action="store_true")
    serve.add_argument("--latency", type=float, default=0.0, metavar="MS")
    serve.add_argument("--apply-delay", type=float, default=0.0, metavar="SECONDS")
    serve.add_argument("--offline", action="append", default=[], metavar="SERIAL")
    serve.add_argument("--offline-code", type=int, default=10003, choices=[10003, 10005])
    serve.add_argument("--fault", action="append", default=[], metavar="SPEC",
                       help="KIND[@ENDPOINT][:PROBABILITY] or KIND[@ENDPOINT]*COUNT; KIND: "
                       "http500 html badjson timeout reset ratelimit ignore-write")
    serve.add_argument("--seed", type=int)
    serve.add_argument("--no-overlap-check", action="store_true")
    serve.add_argument("--overlap-error-code", type=int, default=10008)
    serve.add_argument("--sph-emit-unsuffixed", action="store_true")
    serve.add_argument("--timeout-seconds", type=float, default=60.0)
    serve.add_argument("--request-log", metavar="FILE",
                       help="append one JSON line per request (never the token)")
    serve.add_argument("--deny", action="append", default=[], metavar="TOKEN=ENDPOINT",
                       help="answer 10011 to this token on this endpoint (repeatable)")


def run(args: argparse.Namespace) -> int:
    import signal
    import sys
    from pathlib import Path

    from reconciler.sim.faults import parse_fault
    from reconciler.sim.ratelimit import parse_rate_limit
    from reconciler.sim.server import SimOptions, SimServer

    if not is_loopback(args.host) and not args.allow_remote:
        print(f"growatt-reconcile: --host {args.host} is not a loopback address; the simulator "
              "accepts any token, so it serves only this machine unless --allow-remote",
              file=sys.stderr)
        return 1
    denied: dict[str, tuple[str, ...]] = {}
    for rule in args.deny:
        token, equals, endpoint = rule.partition("=")
        if not equals or not token or not endpoint:
            print("growatt-reconcile: --deny takes TOKEN=ENDPOINT", file=sys.stderr)
            return 2
        denied[token] = (*denied.get(token, ()), endpoint)
    try:
        parse_rate_limit(args.rate_limit)
        for spec in args.fault:
            parse_fault(spec)
        options = SimOptions(
            fixture=Path(args.fixture) if args.fixture else None,
            state_path=Path(args.state) if args.state else None, tokens=tuple(args.token),
            rate_limit=args.rate_limit, rate_limit_writes=args.rate_limit_writes,
            latency_ms=args.latency, apply_delay=args.apply_delay, offline=tuple(args.offline),
            offline_code=args.offline_code, faults=tuple(args.fault), seed=args.seed,
            overlap_check=not args.no_overlap_check,
            overlap_error_code=args.overlap_error_code,
            sph_emit_unsuffixed=args.sph_emit_unsuffixed, timeout_seconds=args.timeout_seconds,
            request_log=Path(args.request_log) if args.request_log else None,
            host=args.host, port=args.port, denied=denied)
        server = SimServer(options)
    except (ValueError, OSError) as exc:
        print(f"growatt-reconcile: {exc}", file=sys.stderr)
        return 1
    print(f"serving {server.url}", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.cloud.stopping.set()
        server.httpd.server_close()
    return 0
