"""A local stand-in for the workspace's Serving and Apps REST APIs on 127.0.0.1, recording every traffic config.

Endpoint metrics are synthetic: each scrape adds requests to every served entity in proportion to its traffic,
and 5xx errors to the entities marked faulty (the `--canary-fault` candidate)."""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

REQUESTS_PER_SCRAPE = 100
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

    def metrics(self, name: str) -> str:
        routes = {r["served_entity_name"]: r["traffic_percentage"]
                  for r in self.endpoints[name]["config"]["traffic_config"]["routes"]}
        lines = []
        for entity, percent in sorted(routes.items()):
            slot = self.counters.setdefault((name, entity), [0.0, 0.0])
            added = REQUESTS_PER_SCRAPE * percent / 100
            slot[0] += added
            slot[1] += added * FAULT_ERROR_SHARE if self.faulty(name, entity) else 0.0
            lines.append(f'request_count_total{{served_entity_name="{entity}"}} {slot[0]}')
            lines.append(f'request_5xx_count_total{{served_entity_name="{entity}"}} {slot[1]}')
        return "\n".join(lines) + "\n"


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
        with ws.lock:
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
            if parts[0] == "serving-endpoints" and len(parts) == 3 and parts[2] == "invocations":
                if parts[1] not in ws.endpoints:
                    return self._missing(f"serving endpoint {parts[1]}")
                return self._send(200, {"messages": [{"role": "assistant", "content": "ok"}]})
            if parts[0] == "app" and len(parts) == 3 and parts[2] == "invocations":
                app = ws.apps.get(parts[1])
                if app is None or app["app_status"]["state"] != "RUNNING":
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
