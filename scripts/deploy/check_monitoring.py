#!/usr/bin/env python3
"""Checks the alert rules (deploy/prometheus/alerts.yaml) and the Grafana dashboard
(deploy/grafana/switchboard.json) against the metrics the code exports.

promtool (from the Prometheus module) takes longer than five minutes to build on the
project's machines, so this check stands in for `promtool check rules`: the rule file's
structure as Prometheus loads it (groups with unique names, rules with a unique alert
name, an expression, a `for` duration, a severity and a summary), expressions with
balanced brackets and well-formed range durations, and every metric and label they name
exported by the code: the service's in src/metrics.rs, the gateway's in gateway/gateway.go,
and Prometheus' own `up`. The dashboard's queries are held to the same metrics and labels.
"""

import json
import re
import sys

import yaml

from common import ROOT, problem, report

SEVERITIES = {"critical", "warning", "info"}
# Prometheus' own series, present for every scrape target.
BUILTIN = {"up": {"job", "instance"}}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
DURATION = r"\d+(ms|s|m|h|d|w|y)"
# Words of PromQL that look like metric names: functions, aggregations, keywords.
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "topk", "bottomk", "rate", "increase", "irate",
    "delta", "histogram_quantile", "clamp_min", "clamp_max", "by", "without", "offset",
    "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "abs",
    "le", "quantile", "count_values", "absent", "vector", "time", "label_replace",
}


def exported() -> dict[str, set[str]]:
    """Metric name -> label names, from the sources that register them: each name literal,
    then the first list of label names after it and before the next name."""
    metrics = dict(BUILTIN)
    sources = [
        (ROOT / "src/metrics.rs", r'"(switchboard_[a-z_]+)"', r'&\[((?:\s*"[a-z_]+",?)+)\s*\]'),
        (ROOT / "gateway/gateway.go", r'"(switchboard_gateway_[a-z_]+)"', r'\[\]string\{((?:\s*"[a-z_]+",?)+)\s*\}'),
    ]
    for path, name_pattern, labels_pattern in sources:
        text = path.read_text()
        found = list(re.finditer(name_pattern, text))
        for i, match in enumerate(found):
            end = found[i + 1].start() if i + 1 < len(found) else len(text)
            labels = re.search(labels_pattern, text[match.end() : end])
            metrics[match.group(1)] = set(re.findall(r'"([a-z_]+)"', labels.group(1))) if labels else set()
    return metrics


def check_expr(where: str, expr: str, metrics: dict[str, set[str]]) -> None:
    bare = re.sub(r'"[^"]*"', '""', expr)
    for opening, closing in ("()", "{}", "[]"):
        if bare.count(opening) != bare.count(closing):
            problem(where, f"unbalanced {opening}{closing} in {expr!r}")
    for window in re.findall(r"\[([^\]]*)\]", bare):
        if not re.fullmatch(rf"{DURATION}|\$__rate_interval|{DURATION}:({DURATION})?", window.strip()):
            problem(where, f"range [{window}] is not a duration")
    grouped = {l.strip() for g in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", bare) for l in g.split(",")}
    used = False
    # Grafana's variables ($__rate_interval) are no metric.
    for match in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?", re.sub(r"\$\w+", "", bare)):
        name, selector = match.group(1), match.group(2) or ""
        if name in PROMQL_WORDS or name in grouped or name.isdigit() or re.fullmatch(r"\d+\w*", name):
            continue
        base = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s) and name[: -len(s)] in metrics), name)
        if base not in metrics:
            problem(where, f"{name} is not a metric the code exports")
            continue
        used = True
        labels = metrics[base] | ({"le"} if name.endswith("_bucket") else set())
        for label in re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", selector):
            if label not in labels:
                problem(where, f"{base} has no label {label} (it has {sorted(labels)})")
    for label in grouped - {"le"}:
        if not any(label in labels for labels in metrics.values()):
            problem(where, f"groups by {label}, a label no metric has")
    if not used:
        problem(where, f"{expr!r} names no metric")


def check_rules(metrics: dict[str, set[str]]) -> int:
    doc = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yaml").read_text())
    groups, alerts = set(), set()
    for group in doc.get("groups", []):
        if set(group) - {"name", "rules", "interval"} or group["name"] in groups:
            problem("alerts.yaml", f"group {group.get('name')}: unknown fields or a name used twice")
        groups.add(group["name"])
        for rule in group.get("rules", []):
            where = f"alerts.yaml {rule.get('alert')}"
            if set(rule) - {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}:
                problem(where, f"unknown fields {sorted(set(rule) - {'alert', 'expr', 'for', 'labels', 'annotations'})}")
            if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule.get("alert", "")) or rule["alert"] in alerts:
                problem(where, "needs a unique CamelCase alert name")
            alerts.add(rule.get("alert"))
            if "for" in rule and not re.fullmatch(DURATION, str(rule["for"])):
                problem(where, f"for: {rule['for']} is not a duration")
            if rule.get("labels", {}).get("severity") not in SEVERITIES:
                problem(where, f"needs a severity label, one of {sorted(SEVERITIES)}")
            if not rule.get("annotations", {}).get("summary"):
                problem(where, "needs a summary annotation")
            check_expr(where, str(rule.get("expr", "")), metrics)
    return len(alerts)


def check_dashboard(metrics: dict[str, set[str]]) -> int:
    dashboard = json.loads((ROOT / "deploy/grafana/switchboard.json").read_text())
    for field in ("title", "uid", "schemaVersion", "panels"):
        if field not in dashboard:
            problem("switchboard.json", f"has no {field}")
    ids, queries = set(), 0
    for panel in dashboard.get("panels", []):
        if panel["id"] in ids:
            problem("switchboard.json", f"panel id {panel['id']} is used twice")
        ids.add(panel["id"])
        for target in panel.get("targets", []):
            queries += 1
            check_expr(f"switchboard.json panel {panel['title']!r}", target["expr"], metrics)
    return queries


def main() -> int:
    metrics = exported()
    alerts = check_rules(metrics)
    queries = check_dashboard(metrics)
    return report("monitoring", f"{alerts} alert rules and {queries} dashboard queries use exported metrics")


if __name__ == "__main__":
    sys.exit(main())
