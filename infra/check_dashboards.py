"""Checks the two dashboards that cfn-lint cannot: the CloudWatch dashboard's body (a JSON string
inside the template's !Sub) and the Grafana dashboard (infra/grafana/bookstore.json).

CloudWatch: the body parses once its ${...} are substituted; widgets fit the 24-column grid
without overlapping; every metric row is well formed, every expression's ids exist, and every
`Bookstore` metric is one the API prints (crates/api/src/emf.rs, METRICS) with its dimensions.
Grafana: the JSON loads, panel ids are unique, panels fit the grid without overlapping, and
every query names its data source through the dashboard's variable and has an expression.
Whether each Prometheus series exists is checked against a running server by the HTTP suite
(crates/api/tests/api/health.rs).

Usage: check_dashboards.py TEMPLATE GRAFANA_JSON REPO_ROOT
"""

import json
import re
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


def _tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {tag_suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {tag_suffix: loader.construct_sequence(node, deep=True)}
    return {tag_suffix: loader.construct_mapping(node, deep=True)}


Loader.add_multi_constructor("!", _tagged)

problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


def check_grid(where, boxes, columns=24):
    """boxes: (name, x, y, w, h); no box leaves the grid or overlaps another."""
    for name, x, y, w, h in boxes:
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > columns:
            problem(where, f"{name} leaves the {columns}-column grid: x={x} w={w}")
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1 :]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                problem(where, f"{a} overlaps {b}")


def emf_metrics(root):
    source = open(f"{root}/crates/api/src/emf.rs", encoding="utf-8").read()
    block = re.search(r"pub const METRICS[^=]*=\s*&\[(.*?)\];", source, re.S)
    if not block:
        problem("emf.rs", "no METRICS list")
        return set()
    return set(re.findall(r'\(\s*"(\w+)"\s*,\s*"\w+"\s*\)', block.group(1)))


def check_cloudwatch(template_path, root):
    where = "CloudWatch dashboard"
    template = yaml.load(open(template_path, encoding="utf-8"), Loader=Loader)
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    text, variables = body["Sub"]
    names = set(re.findall(r"\$\{([\w:.]+)\}", text))
    declared = set(variables) | set(template["Resources"]) | set(template.get("Parameters", {}))
    for name in names:
        if name not in declared and not name.startswith("AWS::"):
            problem(where, f"${{{name}}} is not a !Sub variable, resource or parameter")
    rendered = re.sub(r"\$\{[\w:.]+\}", "x", text)
    try:
        dashboard = json.loads(rendered)
    except json.JSONDecodeError as e:
        problem(where, f"not JSON: {e}")
        return
    known = emf_metrics(root)
    widgets = dashboard.get("widgets", [])
    if not widgets:
        problem(where, "no widgets")
    boxes = []
    metric_widgets = 0
    for n, w in enumerate(widgets):
        props = w.get("properties", {})
        label = f"widget {n} ({props.get('title', w.get('type'))})"
        boxes.append((label, w.get("x", -1), w.get("y", -1), w.get("width", 0), w.get("height", 0)))
        if w.get("type") == "text":
            if not props.get("markdown"):
                problem(where, f"{label}: a text widget without markdown")
            continue
        if w.get("type") != "metric":
            problem(where, f"{label}: unknown type {w.get('type')}")
            continue
        metric_widgets += 1
        for key in ("title", "region", "metrics"):
            if key not in props:
                problem(where, f"{label}: no {key}")
        ids = set()
        expressions = []
        previous = None
        for row in props.get("metrics", []):
            options = row[-1] if row and isinstance(row[-1], dict) else {}
            plain = row[:-1] if options else row
            if "id" in options:
                if not re.fullmatch(r"[a-z][a-zA-Z0-9_]*", options["id"]):
                    problem(where, f"{label}: id {options['id']!r} must start lower-case")
                if options["id"] in ids:
                    problem(where, f"{label}: id {options['id']} twice")
                ids.add(options["id"])
            if "expression" in options:
                if plain:
                    problem(where, f"{label}: an expression row names a metric too")
                expressions.append(options["expression"])
                continue
            if plain and plain[0] == "...":
                if previous is None:
                    problem(where, f"{label}: '...' without a row before it")
                continue
            if len(plain) < 2 or len(plain) % 2:
                problem(where, f"{label}: row {row} is not namespace, metric, dimension pairs")
                continue
            namespace, metric = plain[0], plain[1]
            dims = dict(zip(plain[2::2], plain[3::2]))
            if namespace == "Bookstore":
                if metric not in known:
                    problem(where, f"{label}: Bookstore/{metric} is not printed by emf.rs")
                if set(dims) not in ({"Service"}, {"Service", "Instance"}):
                    problem(where, f"{label}: Bookstore/{metric} by {sorted(dims)}")
            previous = row
        for expression in expressions:
            for metric in re.findall(r'MetricName=\\?"(\w+)\\?"', expression):
                if metric not in known:
                    problem(where, f"{label}: SEARCH for {metric}, not printed by emf.rs")
            if "SEARCH(" in expression:
                continue
            for ref in re.findall(r"\b([a-z][a-zA-Z0-9_]*)\b", expression):
                if ref not in ids:
                    problem(where, f"{label}: expression uses unknown id {ref}")
    check_grid(where, boxes)
    print(f"check_dashboards: CloudWatch, {len(widgets)} widgets ({metric_widgets} charts)")


def check_grafana(path):
    where = "Grafana dashboard"
    dashboard = json.load(open(path, encoding="utf-8"))
    variables = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
    if "DS_PROMETHEUS" not in variables:
        problem(where, "no DS_PROMETHEUS data source variable")
    panels = dashboard.get("panels", [])
    ids = [p.get("id") for p in panels]
    if len(set(ids)) != len(ids) or None in ids:
        problem(where, "panel ids missing or repeated")
    boxes = []
    queries = 0
    for p in panels:
        g = p.get("gridPos", {})
        label = f"panel {p.get('id')} ({p.get('title')})"
        boxes.append((label, g.get("x", -1), g.get("y", -1), g.get("w", 0), g.get("h", 0)))
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            problem(where, f"{label}: data source is not ${{DS_PROMETHEUS}}")
        targets = p.get("targets", [])
        if not targets:
            problem(where, f"{label}: no queries")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            problem(where, f"{label}: refIds repeated")
        for t in targets:
            queries += 1
            expr = t.get("expr", "")
            if not expr.strip():
                problem(where, f"{label}: empty query")
            if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                problem(where, f"{label}: unbalanced brackets in {expr}")
    check_grid(where, boxes)
    print(f"check_dashboards: Grafana, {len(panels)} panels, {queries} queries")


def main():
    template, grafana, root = sys.argv[1:4]
    check_cloudwatch(template, root)
    check_grafana(grafana)
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
