// A lean HTTP/1.1 GET client for the market-data bench: one keep-alive socket, one request at a
// time, the answer read by its Content-Length. The bench's client shares the engine's two cores,
// so its own CPU counts against the engine it measures: node:http's client cost the engine's
// throughput about as much as the engine's answers did (bench/notes/market-data.md). This one
// parses only the status line and one header. `LeanHttpPool` keeps a few of them, so that a slow
// answer does not hold back the next request.
import net from 'node:net';

export interface LeanAnswer {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;

export class LeanHttpClient {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (answer: LeanAnswer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null = null;
  private failure: Error | null = null;

  constructor(
    port: number,
    private readonly timeoutMs = 5000,
    host = '127.0.0.1',
  ) {
    this.socket = net.connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  /** GET `path`; rejects on a closed connection, an answer without Content-Length, or no answer within the timeout. */
  get(path: string): Promise<LeanAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer to GET ${path} within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending = { resolve, reject, timer };
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: engine\r\n\r\n`);
    });
  }

  /** A request is out. */
  get busy(): boolean {
    return this.pending !== null;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headerEnd = this.buffered.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const length = CONTENT_LENGTH.exec(this.buffered.subarray(0, headerEnd).toString('latin1'));
    if (!length) return this.fail(new Error('an answer without Content-Length'));
    const end = headerEnd + HEADER_END.length + Number(length[1]);
    if (this.buffered.length < end) return;
    const status = Number(this.buffered.subarray(9, 12).toString('latin1'));
    const body = this.buffered.subarray(headerEnd + HEADER_END.length, end);
    this.buffered = this.buffered.subarray(end);
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.resolve({ status, body });
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.socket.destroy();
  }
}

/** Up to `max` lean clients to one port: each request goes out on an idle one (opened when none is). */
export class LeanHttpPool {
  private readonly clients: LeanHttpClient[] = [];

  constructor(
    private readonly port: number,
    private readonly max = 4,
  ) {}

  get(path: string): Promise<LeanAnswer> {
    let client = this.clients.find((c) => !c.busy);
    if (!client) {
      if (this.clients.length >= this.max) return Promise.reject(new Error(`${this.max} requests already out`));
      client = new LeanHttpClient(this.port);
      this.clients.push(client);
    }
    return client.get(path);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
