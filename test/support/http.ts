// Raw HTTP for tests that send more than a client normally would.
import { request } from 'node:http';

/**
 * POSTs `head` and then filler up to `total` bytes in 64 KiB chunks, stopping as soon as the server
 * answers: the status, the body and how many bytes had to be sent (a server that refuses before
 * reading the body answers after the first chunks). Without `content-length` the body is chunked.
 */
export function streamLargeBody(url: string, opts: { head: string; total: number; headers: Record<string, string> }): Promise<{ status: number; body: string; sentBytes: number }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: opts.headers }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, sentBytes: sent }));
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    req.write(opts.head);
    sent = opts.head.length;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => {
      while (!answered && sent < opts.total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}
