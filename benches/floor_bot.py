#!/usr/bin/env python3
"""The floor for a Matrix bot's command -> reply latency, run by `cargo bench --bench matrix`.

A bot that does nothing but answer, with Python's standard library only: it logs in, joins
ROOM, long-polls /sync and answers every message starting with "!" from someone else with a
reply (m.in_reply_to), stores nothing and waits for nothing. warroom's reply, which is sent only
after its timeline entry is on disk, is measured against it in the same run.

usage: floor_bot.py HOMESERVER USER PASSWORD ROOM_ID
"""

import itertools
import json
import sys
import urllib.parse
import urllib.request

HS, USER, PASSWORD, ROOM = sys.argv[1:5]


def call(method, path, body=None, token=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(HS + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


login = call(
    "POST",
    "/_matrix/client/v3/login",
    {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": USER}, "password": PASSWORD},
)
token, me = login["access_token"], login["user_id"]
call("POST", "/_matrix/client/v3/join/" + urllib.parse.quote(ROOM, safe=""), {}, token)
no_history = urllib.parse.quote(json.dumps({"room": {"timeline": {"limit": 0}}}))
since = call("GET", "/_matrix/client/v3/sync?filter=" + no_history, token=token)["next_batch"]
print("ready", flush=True)

txn = itertools.count()
while True:
    s = call("GET", f"/_matrix/client/v3/sync?since={since}&timeout=30000", token=token, timeout=60)
    since = s["next_batch"]
    for room_id, room in s.get("rooms", {}).get("join", {}).items():
        for ev in room.get("timeline", {}).get("events", []):
            body = ev.get("content", {}).get("body", "")
            if ev.get("type") != "m.room.message" or ev.get("sender") == me or not body.startswith("!"):
                continue
            reply = {
                "msgtype": "m.notice",
                "body": "ok: " + body,
                "m.relates_to": {"m.in_reply_to": {"event_id": ev["event_id"]}},
            }
            path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}/send/m.room.message/floor{next(txn)}"
            call("PUT", path, reply, token)
