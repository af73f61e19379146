#!/usr/bin/python3
"""Uploads a file through an XEP-0363 slot with slixmpp, or only asks for a slot.

Run by the Go tests in edge/xmppe2e against a real Prosody or ejabberd on
loopback. Prints one JSON object on stdout:

  upload:    {"get": GET_URL, "type": CONTENT_TYPE_DECLARED}
  --slot-only: {"put": PUT_URL, "get": GET_URL, "headers": {...}}

The servers use a throwaway self-signed certificate, so certificate checks
are off; nothing here is meant for use outside the tests.
"""

import argparse
import asyncio
import json
import logging
import mimetypes
import os
import ssl
import sys

import slixmpp


class Uploader(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = None
        self.error = None
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0363")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        # Throwaway self-signed certificate on loopback.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE

    def on_failed_auth(self, _event):
        self.error = "authentication failed"
        self.disconnect()

    async def find_service(self):
        """Finds the upload service the way the plugin would.

        slixmpp 1.8.3's own find_upload_service() cannot run on Python 3.11
        (Debian 12): get_info_from_domain() hands bare coroutines to
        asyncio.wait(), which 3.11 forbids ("Passing coroutines is forbidden").
        So walk disco#items of our domain here and let the plugin do the rest.
        """
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
            upload = self["xep_0363"]
            service = await self.find_service()
            if self.args.slot_only:
                iq = await upload.request_slot(
                    service, self.args.filename, self.args.size,
                    self.args.content_type, timeout=20)
                slot = iq["http_upload_slot"]
                self.result = {
                    "put": slot["put"]["url"],
                    "get": slot["get"]["url"],
                    "headers": {h["name"]: h["value"] for h in slot["put"]["headers"]},
                }
            else:
                upload.upload_service = service
                # What upload_file() would declare by itself, made
                # explicit so that the test knows it.
                ctype = (mimetypes.guess_type(self.args.file)[0]
                         or upload.default_content_type)
                url = await upload.upload_file(
                    self.args.file, content_type=ctype, timeout=120)
                self.result = {"get": url, "type": ctype}
        except Exception as exc:  # reported to the Go test on stderr
            self.error = "%s: %s" % (type(exc).__name__, exc)
        finally:
            self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--server", required=True, help="host:port of the c2s listener")
    p.add_argument("--file", help="file to upload")
    p.add_argument("--slot-only", action="store_true", help="only request a slot")
    p.add_argument("--filename", help="file name for --slot-only")
    p.add_argument("--size", type=int, help="size for --slot-only")
    p.add_argument("--content-type", default=None, help="content type for --slot-only")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    if args.slot_only == bool(args.file):
        p.error("give exactly one of --file and --slot-only")
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        stream=sys.stderr)

    host, port = args.server.rsplit(":", 1)
    xmpp = Uploader(args)
    xmpp.connect((host, int(port)))
    # process(forever=False) returns once the stream is closed by start().
    xmpp.loop.run_until_complete(xmpp.disconnected)
    if xmpp.result is None:
        print("slixupload: %s" % (xmpp.error or "disconnected before a result"),
              file=sys.stderr)
        return 1
    json.dump(xmpp.result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
