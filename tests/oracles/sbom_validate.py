"""Oracle: validate a CycloneDX 1.6 JSON BOM with cyclonedx-python-lib.

    target/oracles/venv/bin/python tests/oracles/sbom_validate.py BOM_JSON

Runs JsonStrictValidator(SchemaVersion.V1_6), which checks the document
against the CycloneDX 1.6 JSON schema with additional properties refused,
including string formats (date-time, iri-reference, idn-email). Prints
"valid" and exits 0; prints every error to stderr and exits 1 otherwise (2 on
bad usage, 3 if run outside the oracle venv or without the format checkers,
so that a schema check that silently skipped formats cannot pass).

SPDX documents are checked with the spdx-tools CLI instead: `pyspdxtools -i`.
"""

import sys

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from jsonschema import Draft7Validator
except ImportError as e:  # exit 3, not 1, so tests can tell "not installed" from "rejected"
    print(f"oracle not installed (run scripts/install-oracles.sh and use its venv): {e}", file=sys.stderr)
    sys.exit(3)

# jsonschema checks a format only when the library for it is installed, and
# passes it silently otherwise: cyclonedx-python-lib[json-validation] brings
# them. Refuse to run without the ones the 1.6 schema uses.
REQUIRED_FORMATS = ("date-time", "iri-reference", "idn-email")


def main(path: str) -> None:
    missing = [f for f in REQUIRED_FORMATS if f not in Draft7Validator.FORMAT_CHECKER.checkers]
    if missing:
        print(f"oracle incomplete: no format checker for {missing} "
              "(install cyclonedx-python-lib[json-validation])", file=sys.stderr)
        sys.exit(3)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    errors = list(errors or [])
    if errors:
        for error in errors:
            print(f"invalid: {error}", file=sys.stderr)
        sys.exit(1)
    print("valid")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
