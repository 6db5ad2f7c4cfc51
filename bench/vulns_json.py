"""Read one number out of JSON, for bench/vulns.sh.

    python3 bench/vulns_json.py count [KEY] < JSON   # len() of the document, or of its KEY
    python3 bench/vulns_json.py get FILE KEY          # the value of FILE's KEY
"""

import json
import sys

command, args = sys.argv[1], sys.argv[2:]
if command == "count":
    value = json.load(sys.stdin)
    print(len(value[args[0]] if args else value))
elif command == "get":
    with open(args[0], encoding="utf-8") as f:
        print(json.load(f)[args[1]])
else:
    sys.exit(f"vulns_json.py: unknown command {command!r}")
