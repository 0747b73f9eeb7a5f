"""A tiny JSON client for e2e tests to act as the desk while the browser acts as the phone."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class Api:
    def __init__(self, base: str, username: str, password: str = "demo") -> None:
        self.base = base
        self.token = ""
        self.token = self.call("POST", "/api/auth/login",
                               {"username": username, "password": password, "device_name": "e2e desk"})["token"]

    def call(self, method: str, path: str, body: dict | None = None, expect: int | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if self.token:
            req.add_header("authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        result = json.loads(payload) if payload else {}
        if expect is not None:
            assert status == expect, (status, result)
        elif status >= 400:
            raise AssertionError((method, path, status, result))
        return result
