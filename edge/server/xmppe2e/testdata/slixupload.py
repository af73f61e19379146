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
import json
import logging
import mimetypes
import os
import sys

# The client shared with scripts/prosody-seed.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "scripts"))
from slixclient import UploadClient, add_login_args  # noqa: E402


class Uploader(UploadClient):
    def __init__(self, args):
        super().__init__(args)
        self.result = None

    async def work(self, service):
        upload = self["xep_0363"]
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


def main():
    p = argparse.ArgumentParser()
    add_login_args(p)
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

    xmpp = Uploader(args)
    xmpp.run()
    if xmpp.result is None:
        print("slixupload: %s" % (xmpp.error or "disconnected before a result"),
              file=sys.stderr)
        return 1
    json.dump(xmpp.result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
