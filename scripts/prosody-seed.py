#!/usr/bin/python3
"""Seeds files into Prosody's mod_http_file_share through XMPP, for `upedge bench --vs-seed-cmd`.

Prosody serves only slots it issued itself, so the benchmark's GET scenarios
cannot upload their files with self-signed JWTs: this logs in with slixmpp,
requests COUNT slots for files of SIZE bytes (XEP-0363), PUTs each with the
slot's Authorization header, and prints the GET URLs, one a line.

  scripts/prosody-seed.py --server 127.0.0.1:5222 --jid bench@localhost \
      --password bench SIZE COUNT
"""

import argparse
import asyncio
import logging
import os
import sys

import aiohttp

from slixclient import UploadClient, add_login_args


class Seeder(UploadClient):
    def __init__(self, args):
        super().__init__(args)
        self.urls = []

    async def work(self, service):
        body = os.urandom(self.args.size)
        sem = asyncio.Semaphore(16)
        async with aiohttp.ClientSession() as session:
            async def one(i):
                async with sem:
                    iq = await self["xep_0363"].request_slot(
                        service, "seed-%d.bin" % i, self.args.size,
                        "application/octet-stream", timeout=60)
                    slot = iq["http_upload_slot"]
                    headers = {h["name"]: h["value"] for h in slot["put"]["headers"]}
                    headers["Content-Type"] = "application/octet-stream"
                    async with session.put(slot["put"]["url"], data=body, headers=headers) as resp:
                        if resp.status != 201:
                            raise RuntimeError("PUT %s: %d" % (slot["put"]["url"], resp.status))
                    return slot["get"]["url"]
            self.urls = await asyncio.gather(*(one(i) for i in range(self.args.count)))


def main():
    p = argparse.ArgumentParser()
    add_login_args(p)
    p.add_argument("size", type=int)
    p.add_argument("count", type=int)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    xmpp = Seeder(args)
    xmpp.run(force_starttls=False, disable_starttls=True)
    if xmpp.error or len(xmpp.urls) != args.count:
        print("prosody-seed: %s" % (xmpp.error or "disconnected early"), file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(xmpp.urls) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
