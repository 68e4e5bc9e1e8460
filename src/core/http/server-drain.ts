import type http from 'node:http';

/**
 * Stops an HTTP server behind a load balancer without failing a request the balancer sent:
 * `begin()` only turns /ready to 503 and makes every response close its connection (keep-alive
 * clients reconnect, to another replica once the balancer noticed); `close()`, once the balancer
 * stopped sending, stops accepting, closes the idle keep-alive sockets and waits for the requests
 * still being answered.
 */
export class ServerDrain {
  private draining = false;
  private readonly inFlight = new Set<http.ServerResponse>();
  private onIdle?: () => void;

  constructor(private readonly server: http.Server) {
    // Ahead of the application's listener, which may answer synchronously.
    server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.inFlight.add(res);
      if (this.draining) res.setHeader('connection', 'close');
      // 'close' also fires when the client went away before the answer.
      res.once('close', () => {
        this.inFlight.delete(res);
        if (!this.inFlight.size) this.onIdle?.();
      });
    });
  }

  isDraining(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
  }

  /** Resolves once every connection is closed; requests still running after `graceMs` have their sockets destroyed. */
  async close(graceMs: number): Promise<void> {
    this.begin();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const idle = new Promise<void>((resolve) => {
      this.onIdle = resolve;
      if (!this.inFlight.size) resolve();
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
    if (await Promise.race([idle.then(() => false), timedOut])) this.server.closeAllConnections();
    clearTimeout(timer);
    // Sockets whose answer went out close on their own (Connection: close); a stray idle one is closed here.
    this.server.closeIdleConnections();
    await closed;
  }
}
