#!/usr/bin/env python3
"""Writes upfleet-dashboard.json (the Grafana dashboard) beside this script. Edit here, then re-run:
deploy/check.sh fails when the JSON and this script disagree."""
import json, os

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
A = 'job="upfleet-agent", node=~"$node"'
C = 'job="upfleet-controller"'
panels, y = [], 0
next_id = iter(range(1, 100))

def row(title):
    global y
    panels.append({"type": "row", "title": title, "id": next(next_id), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    y += 1

def ts(title, targets, x, w=12, h=8, unit="short", stack=False, desc=""):
    panels.append({
        "type": "timeseries", "title": title, "id": next(next_id), "datasource": DS, "description": desc,
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit, "custom": {
            "drawStyle": "line", "lineWidth": 1, "fillOpacity": 30 if stack else 10, "showPoints": "never",
            "stacking": {"mode": "normal" if stack else "none", "group": "A"}}}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"],
                               "showLegend": True}, "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [{"refId": chr(65 + i), "datasource": DS, "expr": e, "legendFormat": l, "range": True}
                    for i, (e, l) in enumerate(targets)]})

def stat(title, expr, x, w=6, h=4, unit="short", mappings=None, thresholds=None, desc=""):
    panels.append({
        "type": "stat", "title": title, "id": next(next_id), "datasource": DS, "description": desc,
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or [],
                                     "thresholds": thresholds or {"mode": "absolute", "steps": [{"color": "green", "value": None}]}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "area", "textMode": "auto", "justifyMode": "auto"},
        "targets": [{"refId": "A", "datasource": DS, "expr": expr, "legendFormat": "__auto", "instant": False}]})

RED_GREEN = {"mode": "absolute", "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}]}

row("Controllers")
stat("Connected agents", f"sum(upfleet_agents_connected{{{C}}})", 0, desc="Agents with a live session to a controller.")
stat("Leader", f"sum(upfleet_leader{{{C}}})", 6, thresholds=RED_GREEN,
     mappings=[{"type": "value", "options": {"0": {"text": "none", "color": "red"}, "1": {"text": "elected", "color": "green"}}}],
     desc="Controllers that hold the leadership: exactly 1 is healthy.")
stat("Events relayed /s", f"sum(rate(upfleet_events_relayed_total{{{C}}}[$__rate_interval]))", 12, unit="ops")
stat("etcd errors /s", f"sum(rate(upfleet_etcd_errors_total{{{C}}}[$__rate_interval]))", 18, unit="ops",
     thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 0.01}]})
y += 4
ts("Relay latency (publish → delivery)", [
    (f"histogram_quantile(0.5, sum by (le) (rate(upfleet_relay_latency_seconds_bucket{{{C}}}[$__rate_interval])))", "p50"),
    (f"histogram_quantile(0.99, sum by (le) (rate(upfleet_relay_latency_seconds_bucket{{{C}}}[$__rate_interval])))", "p99")],
   0, unit="s")
ts("etcd request latency", [
    (f"histogram_quantile(0.5, sum by (le) (rate(upfleet_etcd_request_seconds_bucket{{{C}}}[$__rate_interval])))", "p50"),
    (f"histogram_quantile(0.99, sum by (le) (rate(upfleet_etcd_request_seconds_bucket{{{C}}}[$__rate_interval])))", "p99")],
   12, unit="s")
y += 8
ts("Events relayed by controller", [(f"sum by (instance) (rate(upfleet_events_relayed_total{{{C}}}[$__rate_interval]))", "{{instance}}")], 0, w=8, unit="ops")
ts("etcd errors by controller", [(f"sum by (instance) (rate(upfleet_etcd_errors_total{{{C}}}[$__rate_interval]))", "{{instance}}")], 8, w=8, unit="ops")
ts("Connected agents and leader by controller", [
    (f"upfleet_agents_connected{{{C}}}", "agents {{instance}}"),
    (f"upfleet_leader{{{C}}}", "leader {{instance}}")], 16, w=8)
y += 8

row("Agents ($node)")
ts("Job instances by state", [(f"sum by (state) (upfleet_jobs{{{A}}})", "{{state}}")], 0, stack=True,
   desc="Job instances in each Upstart state, stacked.")
ts("State transitions /s", [(f"sum by (node) (rate(upfleet_job_state_transitions_total{{{A}}}[$__rate_interval]))", "{{node}}")], 12, unit="ops")
y += 8
ts("Events by name (top 10)", [(f"topk(10, sum by (name) (rate(upfleet_events_total{{{A}}}[$__rate_interval])))", "{{name}}")], 0, unit="ops")
ts("Process spawns /s by process", [(f"sum by (process) (rate(upfleet_process_spawns_total{{{A}}}[$__rate_interval]))", "{{process}}")], 12, unit="ops")
y += 8
ts("Respawns and failures", [
    (f"sum by (node) (rate(upfleet_job_respawns_total{{{A}}}[$__rate_interval]))", "respawns {{node}}"),
    (f"sum by (process) (rate(upfleet_job_failures_total{{{A}}}[$__rate_interval]))", "failures {{process}}")], 0, unit="ops")
ts("Controller link and revision lag", [
    (f"upfleet_controller_connected{{{A}}}", "connected {{node}}"),
    (f"upfleet_revision_lag{{{A}}}", "lag {{node}}")], 12)
y += 8
ts("Agent JVM heap", [(f'sum by (node) (jvm_memory_used_bytes{{{A}, area="heap"}})', "{{node}}")], 0, w=24, unit="bytes")
y += 8

dashboard = {
    "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "description": "", "type": "datasource",
                  "pluginId": "prometheus", "pluginName": "Prometheus"}],
    "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"},
                   {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
                   {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
                   {"type": "panel", "id": "stat", "name": "Stat", "version": ""}],
    "title": "upfleet", "uid": "upfleet-fleet", "description": "upfleet agents and controllers",
    "tags": ["upfleet", "upstart"], "timezone": "browser", "editable": True, "graphTooltip": 1,
    "schemaVersion": 39, "version": 1, "refresh": "10s",
    "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
    "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                              "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
    "links": [],
    "templating": {"list": [
        {"name": "DS_PROMETHEUS", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
        {"name": "node", "label": "Node", "type": "query", "datasource": DS,
         "definition": 'label_values(up{job="upfleet-agent"}, node)',
         "query": {"query": 'label_values(up{job="upfleet-agent"}, node)', "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*", "sort": 1,
         "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "hide": 0, "regex": "", "options": []}]},
    "panels": panels,
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "upfleet-dashboard.json")
text = json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"
if __name__ == "__main__":
    import sys
    if "--check" in sys.argv:
        sys.exit(0 if open(out, encoding="utf-8").read() == text else 1)
    open(out, "w", encoding="utf-8").write(text)
