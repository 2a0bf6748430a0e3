#!/usr/bin/env python3
"""Lists this host's public listeners that a new firewall would close.

Argument: base64 of JSON {"openings": [{"port": 22 | "37373-38383", "proto": "tcp"|"udp"}], "mayClose": ["tcp/8080"]}.
Reads `ss -H -lntup` (listening TCP and bound UDP sockets, with their processes); a socket bound to a loopback
address is not public (the firewall accepts everything on lo), nor is a DHCP client's (UDP 68 and 546: the
server's answers are replies to the client's requests, which the firewall's conntrack rule accepts). Prints JSON {"listeners": [...], "closed": [...]}
where each entry is {"proto", "port", "address", "process"}; "closed" are those no opening covers and mayClose does
not name. Exit 0 in both cases (the role decides); 2 when ss fails or the argument is malformed.
"""
import base64
import json
import re
import subprocess
import sys


def covered(openings, proto, port):
    for o in openings:
        if o.get("proto", "tcp") != proto:
            continue
        p = str(o["port"])
        if "-" in p:
            lo, hi = (int(x) for x in p.split("-", 1))
            if lo <= port <= hi:
                return True
        elif int(p) == port:
            return True
    return False


def loopback(address):
    a = address.strip("[]").split("%", 1)[0]
    return a.startswith("127.") or a == "::1" or a.startswith("::ffff:127.")


DHCP_CLIENT = {("udp", 68), ("udp", 546)}


def main():
    try:
        spec = json.loads(base64.b64decode(sys.argv[1]))
        openings, may_close = spec["openings"], set(spec.get("mayClose", []))
    except (IndexError, ValueError, KeyError) as e:
        print(f"firewall-guard: bad argument: {e}", file=sys.stderr)
        return 2
    try:
        out = subprocess.run(["ss", "-H", "-lntup"], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"firewall-guard: ss failed: {e}", file=sys.stderr)
        return 2
    listeners, closed, seen = [], [], set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        proto, local = f[0], f[4]
        address, _, port = local.rpartition(":")
        if proto not in ("tcp", "udp") or not port.isdigit() or loopback(address) or (proto, int(port)) in DHCP_CLIENT:
            continue
        m = re.search(r'users:\(\("([^"]+)"', line)
        entry = {"proto": proto, "port": int(port), "address": address, "process": m.group(1) if m else "?"}
        key = (proto, int(port))
        if key in seen:
            continue
        seen.add(key)
        listeners.append(entry)
        if not covered(openings, proto, int(port)) and f"{proto}/{port}" not in may_close:
            closed.append(entry)
    print(json.dumps({"listeners": listeners, "closed": closed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
