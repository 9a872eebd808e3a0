"""Checks that the CloudFormation table matches the code: the global secondary indexes of
crates/store/src/keys.rs (names, key attributes, in order), the attribute types and the
projection that crates/store/src/dynamo/table.rs creates (`bookstore dynamo init`), and the
table's own key pk/sk.

Run by check.sh with the cfn-lint virtualenv's Python (it uses cfn-lint's YAML decoder, which
understands the short intrinsic-function tags). Usage: check_indexes.py TEMPLATE REPO_ROOT
"""

import re
import sys
from pathlib import Path

from cfnlint.decode import decode_str

PROJECTIONS = {"All": "ALL", "KeysOnly": "KEYS_ONLY", "Include": "INCLUDE"}


def fail(message: str) -> None:
    print(f"check_indexes: {message}", file=sys.stderr)
    sys.exit(1)


def code_indexes(keys_rs: str) -> list[tuple[str, str, str]]:
    """(name, hash key, range key) of every IndexDef in INDEXES, in order."""
    consts = dict(re.findall(r'pub const (\w+): &str = "([^"]+)";', keys_rs))
    body = re.search(r"pub const INDEXES: &\[IndexDef\] = &\[(.*?)\n\];", keys_rs, re.S)
    if not body:
        fail("INDEXES not found in keys.rs")
    defs = re.findall(
        r'IndexDef\s*\{\s*name:\s*(\w+|"[^"]+"),\s*pk:\s*"([^"]+)",\s*sk:\s*"([^"]+)",?\s*\}',
        body.group(1),
    )
    if not defs or len(defs) != body.group(1).count("IndexDef"):
        fail("could not read every IndexDef in keys.rs")
    out = []
    for name, pk, sk in defs:
        name = name.strip('"') if name.startswith('"') else consts.get(name)
        if name is None:
            fail(f"unknown index name constant in keys.rs: {name}")
        out.append((name, pk, sk))
    return out


def code_table_shape(dynamo_rs: str) -> tuple[set[str], str]:
    """The attributes created as numbers, and the index projection, in `init`."""
    numeric = re.search(r"fn numeric_key\(name: &str\) -> bool \{\s*matches!\(name, ([^)]*)\)", dynamo_rs)
    if not numeric:
        fail("fn numeric_key (the numeric key attributes) not found in dynamo/table.rs")
    projections = set(re.findall(r"ProjectionType::(\w+)", dynamo_rs))
    if len(projections) != 1 or next(iter(projections)) not in PROJECTIONS:
        fail(f"expected one index projection in dynamo/table.rs, found {sorted(projections)}")
    return set(re.findall(r'"([^"]+)"', numeric.group(1))), PROJECTIONS[projections.pop()]


def main() -> None:
    template_path, root = Path(sys.argv[1]), Path(sys.argv[2])
    store = root / "crates/store/src"
    want = code_indexes((store / "keys.rs").read_text())
    numeric, projection = code_table_shape((store / "dynamo/table.rs").read_text())

    template, matches = decode_str(template_path.read_text())
    if matches or template is None:
        fail(f"cannot parse {template_path}")
    table = template["Resources"]["Table"]["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    got = []
    problems = []
    for gsi in table["GlobalSecondaryIndexes"]:
        schema = {k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]}
        got.append((gsi["IndexName"], schema.get("HASH"), schema.get("RANGE")))
        if gsi["Projection"].get("ProjectionType") != projection:
            problems.append(f"{gsi['IndexName']}: projection is not {projection} as in dynamo/table.rs")
    if got != want:
        problems.append(f"indexes differ from keys.rs:\n  template: {got}\n  keys.rs:  {want}")
    if [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] != [("pk", "HASH"), ("sk", "RANGE")]:
        problems.append("the table key is not pk (HASH) / sk (RANGE)")
    used = {"pk", "sk"} | {a for _, pk, sk in want for a in (pk, sk)}
    if set(types) != used:
        problems.append(f"AttributeDefinitions should name exactly {sorted(used)}, not {sorted(types)}")
    for attr in sorted(used & set(types)):
        expected = "N" if attr in numeric else "S"
        if types[attr] != expected:
            problems.append(f"attribute {attr} is {types[attr]}, dynamo/table.rs creates it as {expected}")
    if problems:
        fail("\n".join(problems))
    print(f"check_indexes: {len(want)} indexes match keys.rs and dynamo/table.rs", file=sys.stderr)


if __name__ == "__main__":
    main()
