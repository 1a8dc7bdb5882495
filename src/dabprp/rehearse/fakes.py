"""A local stand-in for the workspace's Serving, Apps and Jobs-runs REST APIs on 127.0.0.1, recording every
traffic config and every job run.

Endpoint metrics count the invocations the server really received, per served entity: an invocation of the
endpoint goes to one entity by its traffic split (smooth weighted round robin, deterministic), an invocation of
`served-models/<entity>` to that entity. An entity marked faulty (the `--canary-fault` candidate) answers every
second request with a 500. Nothing adds requests by itself: an entity nobody calls counts none."""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

FAULT_ERROR_SHARE = 0.5


@dataclass
class Workspace:
    """What the fake server holds and what it recorded."""

    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    healthy_entities: set[str] | None = None
    """Served entities (or app sources) that answer without errors; None: all do."""
    faulty_sources: set[str] = field(default_factory=set)
    """Source folders whose code crashes the app (`--canary-fault` in Apps mode: the newly synced code); a
    deployment snapshots its code, so its snapshot crashes too."""
    healthy_versions: set[str] | None = None
    """Model versions that answer without errors (a bundle-owned endpoint keeps its entity names); None: all do."""
    writes: list[dict[str, Any]] = field(default_factory=list)
    """Every endpoint configuration, in order: `{endpoint, by, versions}`, `by` being `bundle` (a `bundle deploy`)
    or `sdk` (the REST API the stage code reaches through the Databricks SDK)."""
    counters: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    """(endpoint, served entity) → [requests, 5xx errors] the server answered."""
    routed: dict[str, dict[str, int]] = field(default_factory=dict)
    """Endpoint → entity → invocations routed to it under the current traffic config."""
    app_requests: dict[str, list[int]] = field(default_factory=dict)
    """App name → [requests, errors] its `/invocations` answered."""
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Job runs in start order, as the Jobs API returns them (`run_id`, `job_id`, `job_parameters`, `trigger`,
    `state`, `tasks`)."""
    task_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Task run ID → the output of a task that failed (`error`)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, endpoint: str, routes: dict[str, int]) -> None:
        self.traffic.append({"endpoint": endpoint, "routes": dict(sorted(routes.items()))})

    def faulty(self, endpoint: str, entity: str) -> bool:
        if self.healthy_entities is not None and entity not in self.healthy_entities:
            return True
        served = {str(e.get("name")): str(e.get("entity_version"))
                  for e in self.endpoints[endpoint]["config"]["served_entities"]}
        return self.healthy_versions is not None and served.get(entity) not in self.healthy_versions

    def set_endpoint(self, name: str, entities: list[dict[str, Any]], routes: dict[str, int], by: str = "sdk") -> None:
        self.writes.append({"endpoint": name, "by": by,
                            "versions": {str(e.get("name")): str(e.get("entity_version")) for e in entities}})
        self.endpoints[name] = {"name": name, "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
                                "config": {"served_entities": copy.deepcopy(entities),
                                           "traffic_config": {"routes": [
                                               {"served_entity_name": n, "traffic_percentage": p}
                                               for n, p in sorted(routes.items())]}}}
        self.routed[name] = {}
        self.record(name, routes)

    def set_app(self, name: str, source: str, url: str) -> dict[str, Any]:
        app = self.apps.setdefault(name, {"name": name, "url": url, "deployments": []})
        deployment_id = f"d{len(app['deployments']) + 1}"
        snapshot = f"/Workspace/apps-snapshots/{name}/{deployment_id}"
        deployment: dict[str, Any] = {"deployment_id": deployment_id, "source_code_path": source,
                                      "deployment_artifacts": {"source_code_path": snapshot},
                                      "mode": "SNAPSHOT", "status": {"state": "SUCCEEDED", "message": "deployed"}}
        app["deployments"].append(deployment)
        app["active_deployment"] = deployment
        crashed = source in self.faulty_sources
        if crashed:
            self.faulty_sources.add(snapshot)
        app["app_status"] = {"state": "CRASHED" if crashed else "RUNNING", "message": ""}
        app["compute_status"] = {"state": "ACTIVE"}
        self.record(name, {deployment["deployment_id"]: 100})
        return deployment

    def invoke(self, endpoint: str, entity: str | None = None) -> tuple[int, str]:
        """One invocation of `endpoint` (of its served entity `entity` when given): (HTTP status, entity)."""
        config = self.endpoints[endpoint]["config"]
        served = [str(e.get("name")) for e in config["served_entities"]]
        if entity is None:
            routes = {r["served_entity_name"]: int(r["traffic_percentage"]) for r in config["traffic_config"]["routes"]}
            entity = self._route(endpoint, routes)
        if entity not in served:
            return 404, entity
        slot = self.counters.setdefault((endpoint, entity), [0.0, 0.0])
        slot[0] += 1
        failed = self.faulty(endpoint, entity) and slot[1] < slot[0] * FAULT_ERROR_SHARE
        slot[1] += 1 if failed else 0
        return (500 if failed else 200), entity

    def _route(self, endpoint: str, routes: dict[str, int]) -> str:
        """The entity with the largest shortfall against its share of the requests routed under this traffic
        config (ties by name)."""
        routed = self.routed.setdefault(endpoint, {})
        total = sum(routed.values()) + 1
        entity = max(sorted(routes), key=lambda e: routes[e] / 100 * total - routed.get(e, 0))
        routed[entity] = routed.get(entity, 0) + 1
        return entity

    def metrics(self, name: str) -> str:
        entities = sorted(str(e.get("name")) for e in self.endpoints[name]["config"]["served_entities"])
        lines = []
        for entity in entities:
            requests, errors = self.counters.get((name, entity), [0.0, 0.0])
            lines.append(f'request_count_total{{served_entity_name="{entity}"}} {requests}')
            lines.append(f'request_5xx_count_total{{served_entity_name="{entity}"}} {errors}')
        return "\n".join(lines) + "\n"

    def invoke_app(self, name: str) -> int:
        app = self.apps.get(name)
        slot = self.app_requests.setdefault(name, [0, 0])
        slot[0] += 1
        if app is None or app["app_status"]["state"] != "RUNNING":
            slot[1] += 1
            return 503
        return 200

    def record_run(self, job_id: str, parameters: dict[str, str], trigger: str, result: str,
                   tasks: list[tuple[str, str]], errors: dict[str, str] | None = None) -> dict[str, Any]:
        """A finished job run, as `GET /api/2.2/jobs/runs/get` returns it; `errors`: a failed task's error, as
        `GET /api/2.2/jobs/runs/get-output` of that task's run returns it."""
        run_id = len(self.runs) + 1
        task_runs = [{"task_key": k, "run_id": run_id * 1000 + i,
                      "state": {"life_cycle_state": "TERMINATED", "result_state": r}}
                     for i, (k, r) in enumerate(tasks, 1)]
        for i, (key, _) in enumerate(tasks, 1):
            if key in (errors or {}):
                self.task_outputs[str(run_id * 1000 + i)] = {"error": (errors or {})[key]}
        run = {"run_id": run_id, "job_id": int(job_id), "trigger": trigger,
               "job_parameters": [{"name": k, "value": v} for k, v in parameters.items()],
               "state": {"life_cycle_state": "TERMINATED", "result_state": result, "state_message": ""},
               "tasks": task_runs}
        self.runs.append(run)
        return run


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}") if length else {}

    def _missing(self, what: str) -> None:
        self._send(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"{what} does not exist"})

    def do_GET(self) -> None:
        ws = self.server.workspace
        parts = urlparse(self.path).path.strip("/").split("/")
        query = parse_qs(urlparse(self.path).query)
        with ws.lock:
            if parts[:4] == ["api", "2.2", "jobs", "runs"] and len(parts) == 5:
                return self._runs(parts[4], query)
            if parts[:3] == ["api", "2.0", "serving-endpoints"] and len(parts) >= 4:
                endpoint = ws.endpoints.get(parts[3])
                if endpoint is None:
                    return self._missing(f"serving endpoint {parts[3]}")
                if len(parts) == 5 and parts[4] == "metrics":
                    return self._send(200, ws.metrics(parts[3]), "text/plain")
                return self._send(200, endpoint)
            if parts[:3] == ["api", "2.0", "apps"] and len(parts) >= 4:
                app = ws.apps.get(parts[3])
                if app is None:
                    return self._missing(f"app {parts[3]}")
                if len(parts) == 6 and parts[4] == "deployments":
                    found = next((d for d in app["deployments"] if d["deployment_id"] == parts[5]), None)
                    return self._send(200, found) if found else self._missing(f"deployment {parts[5]}")
                return self._send(200, {k: v for k, v in app.items() if k != "deployments"})
        return self._missing(self.path)

    def _runs(self, verb: str, query: dict[str, list[str]]) -> None:
        ws = self.server.workspace
        if verb == "list":
            job = query.get("job_id", [None])[0]
            runs = [r for r in reversed(ws.runs) if job is None or str(r["job_id"]) == job]
            return self._send(200, {"runs": runs, "has_more": False})
        if verb == "get":
            found = next((r for r in ws.runs if str(r["run_id"]) == query.get("run_id", [""])[0]), None)
            return self._send(200, found) if found else self._missing(f"run {query.get('run_id')}")
        if verb == "get-output":
            output = ws.task_outputs.get(query.get("run_id", [""])[0])
            return self._send(200, output) if output is not None else self._missing(f"run {query.get('run_id')}")
        return self._missing(f"jobs/runs/{verb}")

    def do_PUT(self) -> None:
        ws = self.server.workspace
        parts = urlparse(self.path).path.strip("/").split("/")
        body = self._body()
        with ws.lock:
            if parts[:3] == ["api", "2.0", "serving-endpoints"] and len(parts) == 5 and parts[4] == "config":
                if parts[3] not in ws.endpoints:
                    return self._missing(f"serving endpoint {parts[3]}")
                routes = {r["served_entity_name"]: int(r["traffic_percentage"])
                          for r in (body.get("traffic_config") or {}).get("routes") or []}
                if sum(routes.values()) != 100:
                    return self._send(400, {"error_code": "INVALID_PARAMETER_VALUE",
                                            "message": f"traffic must sum to 100, got {routes}"})
                ws.set_endpoint(parts[3], body.get("served_entities") or [], routes)
                return self._send(200, ws.endpoints[parts[3]])
        return self._missing(self.path)

    def do_POST(self) -> None:
        ws = self.server.workspace
        parts = urlparse(self.path).path.strip("/").split("/")
        body = self._body()
        with ws.lock:
            if parts[:3] == ["api", "2.0", "apps"] and len(parts) == 5 and parts[4] == "deployments":
                if parts[3] not in ws.apps:
                    return self._missing(f"app {parts[3]}")
                return self._send(200, ws.set_app(parts[3], str(body.get("source_code_path") or ""),
                                                  ws.apps[parts[3]]["url"]))
            if parts[0] == "serving-endpoints" and parts[-1] == "invocations" and (
                    len(parts) == 3 or (len(parts) == 5 and parts[2] == "served-models")):
                if parts[1] not in ws.endpoints:
                    return self._missing(f"serving endpoint {parts[1]}")
                status, entity = ws.invoke(parts[1], parts[3] if len(parts) == 5 else None)
                if status == 404:
                    return self._missing(f"served model {entity}")
                if status != 200:
                    return self._send(status, {"error_code": "INTERNAL_ERROR", "message": f"{entity} failed"})
                return self._send(200, {"messages": [{"role": "assistant", "content": "ok"}]})
            if parts[0] == "app" and len(parts) == 3 and parts[2] == "invocations":
                if ws.invoke_app(parts[1]) != 200:
                    return self._send(503, {"message": "app not running"})
                return self._send(200, {"output": [{"type": "message", "content": [{"text": "ok"}]}]})
        return self._missing(self.path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.workspace = workspace


class FakeWorkspace:
    """Start with `with FakeWorkspace() as fake:`; `fake.host` is the base URL for the Databricks SDK."""

    def __init__(self) -> None:
        self.state = Workspace()
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeWorkspace:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
