"""paas sample app: a WSGI app on the standard library's wsgiref server."""

import os
from wsgiref.simple_server import WSGIRequestHandler, make_server


def app(environ, start_response):
    body = ("hello from python (wsgiref) on %s\n"
            % os.environ.get("DYNO", "local")).encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        print('%s "%s" %s' % (self.address_string(), self.requestline, code),
              flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    with make_server("0.0.0.0", port, app, handler_class=QuietHandler) as srv:
        print("python example listening on %d" % port, flush=True)
        srv.serve_forever()
