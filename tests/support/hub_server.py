"""A small stand-in for the Hugging Face Hub HTTP API, for tests on 127.0.0.1.

The Hub is unreachable here and no self-hostable Hub-compatible server is
installable from the package registries (KohakuHub is not on PyPI; olah is
read-only), so this speaks the subset the real
``huggingface_hub`` client uses for our calls: whoami, create-repo, repo info,
preupload (every file "regular", i.e. inline in the commit), ndjson commit,
tree listing, resolve (HEAD + GET downloads) and ``/api/validate-yaml``.

It keeps repos in memory, records every request (method, path, headers) so
tests can assert on uploads and look for leaked secrets, and answers any
status on demand (``refuse``) to exercise error paths.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field

import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


@dataclass
class HubRepo:
    owner: str
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.commits[-1] if self.commits else "0" * 40


@dataclass
class Refusal:
    status: int
    message: str
    path_part: str
    error_code: str | None


class HubState:
    """Users, tokens and repos; ``repos`` is keyed by ("model" | "dataset", "owner/name")."""

    def __init__(self):
        self.tokens: dict[str, str] = {}
        self.orgs: dict[str, list[str]] = {}
        self.repos: dict[tuple[str, str], HubRepo] = {}
        self.requests: list[dict] = []
        self.refusals: list[Refusal] = []

    def add_user(self, name: str, token: str, orgs: tuple[str, ...] = ()) -> None:
        self.tokens[token] = name
        self.orgs[name] = list(orgs)

    def refuse(self, status: int, message: str, path_part: str = "", error_code: str | None = None) -> None:
        """Answer ``status`` to every request whose path contains ``path_part`` until ``reset``."""
        self.refusals.append(Refusal(status, message, path_part, error_code))

    def reset(self) -> None:
        self.repos.clear()
        self.requests.clear()
        self.refusals.clear()

    def repo(self, repo_id: str, kind: str = "model") -> HubRepo:
        return self.repos[(kind, repo_id)]


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    headers = {"X-Error-Message": message, **({"X-Error-Code": code} if code else {})}
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _kind(plural: str) -> str:
    return {"models": "model", "datasets": "dataset"}[plural]


def build_app(state: HubState) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record_and_refuse(request: Request, call_next):
        state.requests.append({"method": request.method, "path": request.url.path, "headers": dict(request.headers)})
        for refusal in state.refusals:
            if refusal.path_part in request.url.path:
                return _error(refusal.status, refusal.message, refusal.error_code)
        return await call_next(request)

    def user_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return state.tokens.get(auth.removeprefix("Bearer ").strip()) if auth else None

    def readable(request: Request, kind: str, repo_id: str) -> HubRepo | None:
        repo = state.repos.get((kind, repo_id))
        if repo is None or (repo.private and user_of(request) not in (repo.owner, *_members(repo.owner))):
            return None
        return repo

    def _members(org: str) -> list[str]:
        return [user for user, orgs in state.orgs.items() if org in orgs]

    def writable(request: Request, kind: str, repo_id: str) -> HubRepo | JSONResponse:
        user = user_of(request)
        if user is None:
            return _error(401, "Invalid credentials in Authorization header")
        repo = state.repos.get((kind, repo_id))
        if repo is None:
            return _error(404, "Repository not found", "RepoNotFound")
        if user != repo.owner and repo.owner not in state.orgs[user]:
            return _error(403, f"You don't have the rights to write to {repo_id}")
        return repo

    @app.get("/api/whoami-v2")
    async def whoami(request: Request):
        user = user_of(request)
        if user is None:
            return _error(401, "Invalid credentials in Authorization header")
        return {"type": "user", "name": user, "orgs": [{"name": org} for org in state.orgs[user]],
                "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}}}

    @app.post("/api/repos/create")
    async def create_repo(request: Request):
        user = user_of(request)
        if user is None:
            return _error(401, "Invalid credentials in Authorization header")
        body = await request.json()
        owner = body.get("organization") or user
        if owner != user and owner not in state.orgs[user]:
            return _error(403, f"You don't have the rights to create a repo under the namespace {owner!r}")
        kind, repo_id = body.get("type") or "model", f"{owner}/{body['name']}"
        if (kind, repo_id) in state.repos:  # the Hub's 409 names the existing repo's url
            return JSONResponse({"error": "You already created this repo", "url": f"{request.base_url}{repo_id}"},
                                status_code=409, headers={"X-Error-Message": "You already created this repo"})
        state.repos[(kind, repo_id)] = HubRepo(owner=owner, private=body.get("visibility", "public") == "private")
        return {"url": f"{request.base_url}{repo_id}", "name": repo_id}

    @app.post("/api/validate-yaml")
    async def validate_yaml(request: Request):
        content = (await request.json())["content"]
        try:
            header = yaml.safe_load(content.split("---")[1]) if content.startswith("---") else {}
        except yaml.YAMLError as exc:
            return JSONResponse({"errors": [{"message": str(exc)}]}, status_code=400)
        if not isinstance(header, dict):
            return JSONResponse({"errors": [{"message": "metadata must be a mapping"}]}, status_code=400)
        return {"errors": [], "warnings": []}

    @app.get("/api/{plural}/{owner}/{name}")
    @app.get("/api/{plural}/{owner}/{name}/revision/{revision}")
    async def repo_info(request: Request, plural: str, owner: str, name: str, revision: str = "main"):
        repo = readable(request, _kind(plural), f"{owner}/{name}")
        if repo is None:
            return _error(404, "Repository not found", "RepoNotFound")
        return {"id": f"{owner}/{name}", "sha": repo.sha, "private": repo.private,
                "siblings": [{"rfilename": path} for path in sorted(repo.files)]}

    @app.post("/api/{plural}/{owner}/{name}/preupload/{revision}")
    async def preupload(request: Request, plural: str, owner: str, name: str, revision: str):
        repo = writable(request, _kind(plural), f"{owner}/{name}")
        if isinstance(repo, JSONResponse):
            return repo
        files = (await request.json())["files"]
        return {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}

    @app.post("/api/{plural}/{owner}/{name}/commit/{revision}")
    async def commit(request: Request, plural: str, owner: str, name: str, revision: str):
        repo = writable(request, _kind(plural), f"{owner}/{name}")
        if isinstance(repo, JSONResponse):
            return repo
        lines = [json.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        for line in lines:
            if line["key"] == "file":
                repo.files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
            elif line["key"] == "deletedFile":
                repo.files.pop(line["value"]["path"], None)
            elif line["key"] != "header":
                return _error(400, f"this test server does not support {line['key']!r} operations")
        sha = hashlib.sha1(f"{owner}/{name}:{len(repo.commits)}:{time.time_ns()}".encode()).hexdigest()
        repo.commits.append(sha)
        return {"commitUrl": f"{request.base_url}{owner}/{name}/commit/{sha}", "commitOid": sha}

    @app.get("/api/{plural}/{owner}/{name}/tree/{revision}")
    @app.get("/api/{plural}/{owner}/{name}/tree/{revision}/{path:path}")
    async def tree(request: Request, plural: str, owner: str, name: str, revision: str, path: str = ""):
        repo = readable(request, _kind(plural), f"{owner}/{name}")
        if repo is None:
            return _error(404, "Repository not found", "RepoNotFound")
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        return [{"type": "file", "path": p, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                for p, data in sorted(repo.files.items()) if p.startswith(prefix)]

    async def resolve(request: Request, kind: str, repo_id: str, path: str):
        repo = readable(request, kind, repo_id)
        if repo is None:
            return _error(401 if user_of(request) is None else 404, "Repository not found", "RepoNotFound")
        if path not in repo.files:
            return _error(404, "Entry not found", "EntryNotFound")
        data = repo.files[path]
        headers = {"X-Repo-Commit": repo.sha, "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                   "Content-Length": str(len(data))}
        return Response(b"" if request.method == "HEAD" else data, headers=headers,
                        media_type="application/octet-stream")

    @app.api_route("/datasets/{owner}/{name}/resolve/{revision}/{path:path}", methods=["GET", "HEAD"])
    async def resolve_dataset(request: Request, owner: str, name: str, revision: str, path: str):
        return await resolve(request, "dataset", f"{owner}/{name}", path)

    @app.api_route("/{owner}/{name}/resolve/{revision}/{path:path}", methods=["GET", "HEAD"])
    async def resolve_model(request: Request, owner: str, name: str, revision: str, path: str):
        return await resolve(request, "model", f"{owner}/{name}", path)

    return app


class HubServer:
    """The app under uvicorn in a background thread on a free 127.0.0.1 port."""

    def __init__(self):
        import uvicorn

        self.state = HubState()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(build_app(self.state), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self, timeout: float = 30.0) -> HubServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test Hub server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
