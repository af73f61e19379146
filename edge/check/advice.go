package check

// Advice says why a check likely failed and what to change, in the terms
// of the proxies operators put in front of upedge. The README's "Deploy"
// section has the whole tested configurations.
type Advice struct {
	Cause   string `json:"cause"`
	Nginx   string `json:"nginx,omitempty"`
	Caddy   string `json:"caddy,omitempty"`
	HAProxy string `json:"haproxy,omitempty"`
	Upedge  string `json:"upedge,omitempty"`
}

// The advice of each kind of failure.
var (
	adviceBuffering = &Advice{
		Cause:   "the proxy buffers request bodies: it reads a whole upload before passing it on, so a refused upload is sent in full before the refusal arrives, and large uploads need the proxy's disk and time out",
		Nginx:   "proxy_request_buffering off; in the location that passes to upedge (and client_max_body_size at least upedge's max_file_size)",
		Caddy:   "reverse_proxy streams bodies by default: remove request_buffers from its transport, and any request_body handler before it",
		HAProxy: "remove option http-buffer-request (and any wait-for-body) from the frontend and backend",
	}
	adviceChunked = &Advice{
		Cause:   "the upload reached upedge without its Content-Length (re-sent chunked): the token signs the length, so every such upload gets 411",
		Nginx:   "nginx passes the client's Content-Length with proxy_request_buffering off; remove any proxy_set_body, and look for a second proxy or filter (WAF) in front",
		Caddy:   "remove request_body and other handlers that rewrite the body before reverse_proxy",
		HAProxy: "in mode http HAProxy keeps Content-Length; remove http-request set-body/filters that rewrite the body",
	}
	advicePathRewritten = &Advice{
		Cause:   "the proxy does not pass the request path as the client sent it: the token signs the decoded path below the prefix, so a changed path fails",
		Nginx:   "proxy_pass http://upedge; (or http://127.0.0.1:5050;) with no URI part after the address (not .../ or .../upload/), and no rewrite in that location",
		Caddy:   "use handle /upload/* (not handle_path, which strips the prefix), and no uri strip_prefix or rewrite before reverse_proxy",
		HAProxy: "remove http-request set-path, replace-path, set-uri and replace-uri for these requests",
		Upedge:  "if the proxy must strip a prefix, set upedge's prefix to the path that actually arrives",
	}
	advicePathReencoded = &Advice{
		Cause:   "the proxy decodes the path and encodes it again (tokens still pass for this name, as both decode alike, but the edge no longer sees what the client sent)",
		Nginx:   "proxy_pass http://upedge; (or http://127.0.0.1:5050;) with no URI part after the address: with one, nginx sends its normalized, decoded and re-encoded path",
		Caddy:   "no rewrite or uri directives before reverse_proxy",
		HAProxy: "no http-request set-path or normalize-uri rules for these requests",
	}
	adviceQuery = &Advice{
		Cause:   "the query string (which carries the token) did not reach upedge as sent",
		Nginx:   "proxy_pass http://upedge; without variables: proxy_pass with $uri drops the query (use $request_uri if a variable is needed)",
		Caddy:   "a rewrite without ?{query} drops the query: remove it",
		HAProxy: "http-request set-uri replaces the query: use set-path, or nothing",
	}
	adviceSecret = &Advice{
		Cause:  "upedge refused the token and did not recognise the probe: the secret given to check is not the edge's, or this machine's clock is more than v3_window (300 s) off the edge's",
		Upedge: "pass the edge's own secret file (--secret-file /etc/upedge/secret, as secret_file in /etc/upedge/upedge.toml says), and keep both clocks on NTP",
	}
	adviceBodyLimit = &Advice{
		Cause:   "the proxy refused the upload as too large before upedge saw it",
		Nginx:   "client_max_body_size at least upedge's max_file_size (nginx's default is 1m), or 0",
		Caddy:   "remove or raise request_body { max_size }",
		HAProxy: "HAProxy sets no body limit by default: look for http-request deny on req.body_size or a WAF",
	}
	adviceUnreachable = &Advice{
		Cause:   "the proxy could not reach upedge (bad gateway or timeout)",
		Nginx:   "check the address in proxy_pass and that upedge listens there (systemctl status upedge; journalctl -u upedge)",
		Caddy:   "check the reverse_proxy address and that upedge listens there",
		HAProxy: "check the server line of the backend and that upedge listens there",
	}
	adviceRouting = &Advice{
		Cause:   "the request did not reach upedge's prefix: the proxy does not route it to upedge, or routes it with the prefix removed",
		Nginx:   "location /upload/ { proxy_pass http://127.0.0.1:5050; } (the prefix of the XMPP server's base URL, passed on unchanged)",
		Caddy:   "handle /upload/* { reverse_proxy 127.0.0.1:5050 }",
		HAProxy: "use_backend upedge if { path_beg /upload/ }",
		Upedge:  "prefix must be the path part of the XMPP server's base URL",
	}
	adviceHeaders = &Advice{
		Cause:   "upedge's response headers did not reach the client: the proxy removes or replaces them",
		Nginx:   "no proxy_hide_header for these headers, and no more_clear_headers or add_header that replaces them",
		Caddy:   "no header -NAME or header NAME replacing them in the site",
		HAProxy: "no http-response del-header or set-header for them",
	}
	adviceCORSPreflight = &Advice{
		Cause:   "the preflight (OPTIONS) did not get upedge's CORS answer: the proxy answers OPTIONS itself or drops the Access-Control-* headers, and browser clients (Converse.js, Movim) cannot upload",
		Nginx:   "no if ($request_method = OPTIONS) { return 204; } and no proxy_hide_header Access-Control-*; leave CORS to upedge (cors_origin)",
		Caddy:   "no respond or header rules for OPTIONS or Access-Control-* in the site",
		HAProxy: "no http-request return for OPTIONS and no http-response del-header Access-Control-*",
	}
	adviceCORSError = &Advice{
		Cause:   "an error answer lacks Access-Control-Allow-Origin: the proxy replaces upedge's error answers, and a browser then hides the status (a 413 looks like a network error)",
		Nginx:   "proxy_intercept_errors off; (the default) and no error_page for 4xx in this location; an add_header of your own needs always",
		Caddy:   "no handle_errors that replaces upstream answers for these paths",
		HAProxy: "no errorfile or http-response return for 4xx of this backend",
	}
	adviceHeadSize = &Advice{
		Cause:   "a request head of 8 KiB was refused: browsers with many cookies for the domain send such heads, and get an error they cannot show",
		Nginx:   "large_client_header_buffers 4 16k; (the default, 4 8k, allows lines just below 8 KiB)",
		Caddy:   "Caddy allows 1 MB by default: raise or remove max_header_size in the global servers { } options",
		HAProxy: "tune.bufsize 32768 (request heads must fit in a buffer; the default is 16384)",
		Upedge:  "if upedge answered it: max_header_line (8KiB by default) and max_header_bytes (32KiB)",
	}
	adviceRange = &Advice{
		Cause:   "a Range request did not get its 206 with the right bytes: video seeking and resumed downloads (Conversations) break",
		Nginx:   "no gzip, sub_filter or proxy_set_header Range for these locations; proxy_buffering off; passes upedge's 206 through",
		Caddy:   "no encode directive for uploads (it drops ranges)",
		HAProxy: "no compression filter on this backend",
	}
	adviceConditional = &Advice{
		Cause:   "If-None-Match with the file's ETag did not get 304: the proxy drops ETag or the conditional header, or changes the body (compression makes ETags weak)",
		Nginx:   "no gzip or sub_filter for these locations, and no proxy_set_header If-None-Match",
		Caddy:   "no encode directive for uploads",
		HAProxy: "no compression filter on this backend",
	}
	adviceBody = &Advice{
		Cause:   "the download did not come back byte for byte with its Content-Length: the proxy changes bodies (compression, sub_filter, a cache serving something else)",
		Nginx:   "no gzip, sub_filter or proxy_cache for these locations",
		Caddy:   "no encode or templates for uploads",
		HAProxy: "no compression filter or cache on this backend",
	}
	adviceTLS = &Advice{
		Cause:   "the certificate is not valid for the base URL's host (wrong name, expired, or not from a trusted CA; a private CA needs --ca-file)",
		Nginx:   "ssl_certificate with the full chain (fullchain.pem) for this host; certbot certonly -d HOST, then systemctl reload nginx",
		Caddy:   "Caddy obtains and renews certificates itself when the site address is the host name",
		HAProxy: "bind :443 ssl crt /etc/haproxy/certs/HOST.pem (chain and key in one file), reloaded after renewal",
		Upedge:  "with tls_cert/tls_key on the edge itself: renew them and systemctl reload upedge",
	}
	adviceTLSRenewal = &Advice{
		Cause:   "the certificate expires soon: renewal has not run, or the server has not loaded the renewed one",
		Nginx:   "check certbot renew (systemctl list-timers certbot) and that its deploy hook reloads nginx",
		Caddy:   "Caddy renews by itself; check its log for ACME errors",
		HAProxy: "renew and reload HAProxy (systemctl reload haproxy)",
		Upedge:  "with tls_cert/tls_key on the edge: systemctl reload upedge after renewal (a deploy hook)",
	}
	adviceHSTS = &Advice{
		Cause:   "the answers carry no Strict-Transport-Security: a browser may try the upload domain over plain HTTP again",
		Nginx:   `add_header Strict-Transport-Security "max-age=31536000" always; in the server block`,
		Caddy:   `header Strict-Transport-Security "max-age=31536000" in the site`,
		HAProxy: `http-response set-header Strict-Transport-Security "max-age=31536000" in the frontend`,
		Upedge:  "with tls_cert on the edge itself it is sent (hsts); behind a proxy the proxy must send it",
	}
	adviceStore = &Advice{
		Cause:  "upedge could not store the upload",
		Upedge: "see upedge's log (journalctl -u upedge): disk full (507), store not writable, or an origin that fails (502/504)",
	}
)
