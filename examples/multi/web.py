"""paas multi-process example, web type: the stack's python3, no build."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from multi (web) on %s\n"
                % os.environ.get("DYNO", "local")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("web: " + fmt % args, flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    print("multi web listening on %d" % port, flush=True)
    HTTPServer(("0.0.0.0", port), Handler).serve_forever()
