"""The ``policydesk`` command: run, demo-data, createuser, and every Django management command."""

import os
import signal
import subprocess
import sys
import time


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.config.settings")
    import django

    django.setup()


def run(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="policydesk run", description="Migrate, add demo data, serve web and worker.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-demo", action="store_true", help="do not create demo data in an empty database")
    parser.add_argument("--demo-clients", type=int, default=500)
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))
    args = parser.parse_args(argv)

    _django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from policydesk.clients.models import Client

    logins = None
    if not args.no_demo and not Client.objects.exists():
        from policydesk.demo.generate import generate_demo

        print(f"Creating demo data ({args.demo_clients} clients)…", flush=True)
        logins = generate_demo(clients=args.demo_clients, progress=True)
    elif not args.no_demo:
        from policydesk.demo.generate import demo_logins

        logins = demo_logins()

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="policydesk.config.settings", DATA_DIR=str(settings.DATA_DIR))
    bind = f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "policydesk.config.wsgi:application", "--bind", bind,
         "--workers", str(args.web_workers), "--threads", "4", "--timeout", "120", "--access-logfile", "-"],
        env=env,
    )
    # --flush-locks: the locks of a worker killed outright are cleared at once (else their lease ends
    # after 15 minutes, messaging/jobs.py).
    worker = subprocess.Popen([sys.executable, "-m", "django", "run_huey", "--quiet", "--flush-locks"], env=env)
    shown_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    print("\nPolicyDesk is running (web and worker).")
    print(f"  Open: http://{shown_host}:{args.port}/")
    print(f"  API docs: http://{shown_host}:{args.port}/api/docs/")
    if logins:
        print(f"  Demo logins (password for all: {logins[0][2]}):")
        for username, role, _password in logins:
            print(f"    {username:<12} {role}")
    print("  Stop with Ctrl+C.\n", flush=True)

    def stop(*_args):
        for proc in (web, worker):
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for proc in (web, worker):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(
            "usage: policydesk COMMAND [options]\n\n"
            "  run          migrate, create demo data in an empty database, serve web + worker\n"
            "  demo-data    generate synthetic agency data (--clients N)\n"
            "  createuser   create a user with a role (--role agent|team_lead|...|administrator)\n"
            "  telephony-token USERNAME\n"
            "               the telephone system's API token (its service user created when missing)\n"
            "  asterisk-listener\n"
            "               post Asterisk's calls to PolicyDesk (--help for its options)\n"
            "  COMMAND      any Django management command (migrate, shell, dbshell, ...)\n"
        )
        return 0
    command, rest = argv[0], argv[1:]
    if command == "run":
        return run(rest)
    _django()
    from django.core.management import execute_from_command_line

    # Our commands are spelled with hyphens (demo-data, telephony-token), their modules with underscores.
    name = command.replace("-", "_")
    execute_from_command_line(["policydesk", name, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
