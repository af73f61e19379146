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
import slixmpp


class Seeder(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.urls = []
        self.error = None
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0363")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_auth", self.on_failed_auth)

    def on_failed_auth(self, _event):
        self.error = "authentication failed"
        self.disconnect()

    async def find_service(self):
        # slixmpp 1.8.3's find_upload_service() fails on Python 3.11
        # (edge/server/xmppe2e/testdata/slixupload.py says why).
        disco = self["xep_0030"]
        domain = self.boundjid.domain
        items = await disco.get_items(jid=domain, timeout=20)
        for jid in [domain] + [item[0] for item in items["disco_items"]["items"]]:
            info = await disco.get_info(jid=jid, timeout=20)
            if "urn:xmpp:http:upload:0" in info["disco_info"]["features"]:
                return info["from"]
        raise RuntimeError("no upload service found on %s" % domain)

    async def start(self, _event):
        try:
            service = await self.find_service()
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
        except Exception as exc:
            self.error = "%s: %s" % (type(exc).__name__, exc)
        finally:
            self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--server", required=True, help="host:port of the c2s listener")
    p.add_argument("size", type=int)
    p.add_argument("count", type=int)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    host, port = args.server.rsplit(":", 1)
    xmpp = Seeder(args)
    xmpp.connect((host, int(port)), force_starttls=False, disable_starttls=True)
    xmpp.loop.run_until_complete(xmpp.disconnected)
    if xmpp.error or len(xmpp.urls) != args.count:
        print("prosody-seed: %s" % (xmpp.error or "disconnected early"), file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(xmpp.urls) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
