#!/usr/bin/env python3
"""A remote worker for the jobs engine, in Python with only the standard library.

It takes jobs from a queue of the example server over HTTP (long-polling acquire), runs them,
heartbeats while it works (reporting progress, and stopping if cancellation was asked), and
completes or fails each one. Its job types: `py.wordcount` makes the payload {"text": "..."} into
{"words": n, "top": [[word, count], ...]}; `py.summary` counts the words of each of its payload's
"texts" as a durable step, and saves a checkpoint after each, so that a retry (or another worker
taking over) gets the counts already recorded back instead of counting again. With "failAfter": n
its first attempt fails after n steps, to show it.

    python3 worker.py --url http://localhost:8080 --token <admin token> [--queue python]

Settings may also come from JOBS_URL, JOBS_API_TOKEN and JOBS_QUEUE. --exit-when-idle stops it
once the queue has stayed empty for one long poll (tests and batch runs use it). Ctrl-C stops it
cleanly: it tells the server, which puts a job in hand back in its queue at once and lists the
worker as stopped.
"""

import argparse
import collections
import json
import os
import re
import socket
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

LEASE_MS = 30_000
WAIT_MS = 10_000


class Api:
    """The engine's HTTP API, one JSON request at a time."""

    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token

    def post(self, path, body, method="POST"):
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode("utf-8"),
            method=method,
            headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT_MS / 1000 + 30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            # Problem documents (RFC 9457) say what was wrong; pass them on.
            return error.code, json.loads(error.read() or b"null")


class LeaseLost(Exception):
    """The server gave the job to someone else (the lease lapsed): stop working on it."""


class Cancelled(Exception):
    """The server said to stop (an operator cancelled the job, or it ran past its timeout): stop, and
    report it (the job ends CANCELLED, or as a Timeout failure that its retry policy retries)."""


class Durable:
    """A job's durable work over HTTP: the steps earlier attempts recorded and the last checkpoint,
    as the acquire gave them. step() runs its work once per job; checkpoint() saves where it got to."""

    def __init__(self, api, job, token):
        self.api, self.job, self.token = api, job, token
        self.recorded = job.get("steps", [])
        self.next = 0
        self.replayed = []

    def step(self, name, work):
        index = self.next
        if index < len(self.recorded):
            if self.recorded[index]["name"] != name:
                raise RuntimeError("step %d is '%s' in the record, not '%s': the steps changed order"
                                   % (index + 1, self.recorded[index]["name"], name))
            self.next += 1
            self.replayed.append(name)
            return self.recorded[index]["result"]
        result = work()
        code, body = self.api.post("/api/jobs/%s/steps/%s" % (self.job["id"], urllib.parse.quote(name, safe="")),
                                   {"leaseToken": self.token, "index": index, "result": result})
        if code == 409 and body and body.get("title") == "Lease lost":
            raise LeaseLost()
        if code != 200:
            raise RuntimeError("step '%s' not recorded (%d): %s" % (name, code, body.get("detail") if body else ""))
        self.next += 1
        return result

    def checkpoint(self, state):
        code, body = self.api.post("/api/jobs/%s/checkpoint" % self.job["id"],
                                   {"leaseToken": self.token, "state": state}, method="PUT")
        if code == 409:
            raise LeaseLost()
        if code != 200:
            raise RuntimeError("checkpoint not saved (%d): %s" % (code, body.get("detail") if body else ""))

    def last_checkpoint(self):
        return (self.job.get("checkpoint") or {}).get("state")


def summary(job, heartbeat, durable):
    texts = job["payload"].get("texts", [])
    fail_after = job["payload"].get("failAfter")
    counts = []
    for i, text in enumerate(texts):
        counts.append(durable.step("count-%d" % i, lambda text=text: len(re.findall(r"[\w']+", text))))
        durable.checkpoint({"counted": i + 1})
        if fail_after is not None and i + 1 == fail_after and job["attempt"] == 1:
            raise RuntimeError("planned failure after %d steps; the retry replays them" % fail_after)
    return {"words": sum(counts), "perText": counts, "replayed": durable.replayed,
            "resumedFrom": (durable.last_checkpoint() or {}).get("counted", 0)}


def word_count(job, heartbeat, durable):
    words = re.findall(r"[\w']+", job["payload"].get("text", "").lower())
    counts = collections.Counter()
    chunk = max(1, len(words) // 4)
    for start in range(0, len(words), chunk):
        counts.update(words[start:start + chunk])
        stop = heartbeat(min(99, 100 * (start + chunk) // max(1, len(words))), "counted %d words" % (start + chunk))
        if stop:
            raise Cancelled("stopped after %d words: %s" % (start + chunk, stop))
    return {"words": len(words), "top": counts.most_common(3)}


HANDLERS = {"py.wordcount": word_count, "py.summary": summary}


def run(api, worker_id, queue, exit_when_idle):
    done = 0
    while True:
        status, body = api.post("/api/jobs/acquire", {
            "workerId": worker_id, "queues": [queue], "limit": 1, "leaseMs": LEASE_MS, "waitMs": WAIT_MS})
        if status == 409:  # the worker id belongs to another token or an engine: waiting will not help
            raise SystemExit("acquire refused: %s; start with another --worker-id" % body.get("detail"))
        if status != 200:
            print("acquire refused (%d): %s" % (status, body.get("detail") if body else ""), file=sys.stderr)
            time.sleep(2)
            continue
        if not body["jobs"]:
            if exit_when_idle:
                return done
            continue
        job = body["jobs"][0]
        token = job["leaseToken"]

        def heartbeat(progress, message):
            code, beat = api.post("/api/jobs/%s/heartbeat" % job["id"], {
                "leaseToken": token, "leaseMs": LEASE_MS, "progress": progress, "message": message})
            if code == 409:  # the lease lapsed, or the attempt ran past its timeout and its grace
                raise LeaseLost()
            if code == 200 and beat["cancelRequested"]:  # cancelled, or past the job's timeoutMs
                return beat.get("cancelReason") or "cancellation was asked"
            return None

        try:
            handler = HANDLERS.get(job["type"])
            if handler is None:
                raise LookupError("this worker has no handler for job type '%s'" % job["type"])
            result = handler(job, heartbeat, Durable(api, job, token))
            code, _ = api.post("/api/jobs/%s/complete" % job["id"], {"leaseToken": token, "result": result})
            print("job %s %s" % (job["id"], "done" if code == 200 else "not recorded (%d)" % code))
            done += 1
        except LeaseLost:
            print("job %s: lease lost (lapsed, or past its timeout); this worker drops it" % job["id"], file=sys.stderr)
        except Cancelled as stop:
            api.post("/api/jobs/%s/fail" % job["id"], {
                "leaseToken": token, "error": {"type": "Cancelled", "message": str(stop)}})
            print("job %s cancelled: %s" % (job["id"], stop))
        except Exception as error:  # the attempt failed: report it and let the retry policy decide
            api.post("/api/jobs/%s/fail" % job["id"], {
                "leaseToken": token,
                "error": {"type": type(error).__name__, "message": str(error), "stack": traceback.format_exc()},
                "retryable": not isinstance(error, LookupError)})
            print("job %s failed: %s" % (job["id"], error), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description="A jobs worker in Python.")
    parser.add_argument("--url", default=os.environ.get("JOBS_URL", "http://localhost:8080"))
    parser.add_argument("--token", default=os.environ.get("JOBS_API_TOKEN"))
    parser.add_argument("--queue", default=os.environ.get("JOBS_QUEUE", "python"))
    parser.add_argument("--worker-id", default="py-%s-%d" % (socket.gethostname(), os.getpid()))
    parser.add_argument("--exit-when-idle", action="store_true")
    args = parser.parse_args()
    if not args.token:
        parser.error("give the server's token with --token or JOBS_API_TOKEN")
    print("worker %s taking '%s' jobs from %s" % (args.worker_id, args.queue, args.url))
    api = Api(args.url, args.token)
    try:
        done = run(api, args.worker_id, args.queue, args.exit_when_idle)
        print("queue '%s' is empty; %d jobs done" % (args.queue, done))
    except KeyboardInterrupt:
        pass
    # Say goodbye: a job in hand goes back to its queue now rather than when its lease lapses, the
    # registry lists this worker as stopped rather than dead, and its id is free again.
    try:
        code, body = api.post("/api/workers/%s/stop" % urllib.parse.quote(args.worker_id, safe=""), {})
    except OSError as error:  # the server is gone: the leases lapse on their own
        code, body = None, {"detail": str(error)}
    if code == 200:
        print("stopped; %d jobs handed back" % len(body["handedBack"]))
    else:
        print("stopped; the server did not take the goodbye: %s" % (body or {}).get("detail"), file=sys.stderr)


if __name__ == "__main__":
    main()
