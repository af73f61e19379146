"""What the slixmpp clients of the tests and benchmarks share.

Imported by scripts/prosody-seed.py and by
edge/server/xmppe2e/testdata/slixupload.py: log in, find the XEP-0363
upload service, do the script's work with it, disconnect. Both talk to
servers on loopback with throwaway certificates, so certificate checks are
off; nothing here is meant for use outside the tests and benchmarks.
"""

import ssl

import slixmpp


def add_login_args(p):
    """Adds the flags every client takes to the argparse parser p."""
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--server", required=True, help="host:port of the c2s listener")


class UploadClient(slixmpp.ClientXMPP):
    """Logs in with args.jid and args.password and, once the session has
    started, awaits self.work(service) with the upload service found. Any
    exception there, or a failed login, is kept in self.error for the
    script to report; the stream is closed either way."""

    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
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

    async def work(self, service):
        raise NotImplementedError

    async def start(self, _event):
        try:
            await self.work(await self.find_service())
        except Exception as exc:  # reported by the script on stderr
            self.error = "%s: %s" % (type(exc).__name__, exc)
        finally:
            self.disconnect()

    def run(self, **connect_args):
        """Connects to args.server and returns once start() has closed the
        stream; connect_args go to connect()."""
        host, port = self.args.server.rsplit(":", 1)
        self.connect((host, int(port)), **connect_args)
        self.loop.run_until_complete(self.disconnected)
