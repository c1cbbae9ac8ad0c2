// api.js - the server's HTTP API as the map uses it (docs/formats.md section 7).
//
// Every request goes to the origin that served the page: no other host is ever asked.  A token
// (docs/web.md: typed into the header field or given once as ?token=) travels in the
// Authorization header, never in a URL the server would log.  The live feed is read with
// fetch() and a stream reader rather than EventSource, because EventSource cannot send that
// header; the parser below handles the small subset of server-sent events the server writes
// (id, event, data, comments) and reconnects with ?since= the last id it saw.

export class ApiError extends Error {
  constructor(status, body) {
    super(`${status} ${body && body.message ? body.message : ''}`.trim());
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(token = '') {
    this.token = token;
  }

  headers(extra = {}) {
    const h = { ...extra };
    if (this.token) {
      h.Authorization = `Bearer ${this.token}`;
    }
    return h;
  }

  async request(path, init = {}) {
    const res = await fetch(path, { ...init, headers: this.headers(init.headers || {}) });
    if (!res.ok) {
      let body = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      throw new ApiError(res.status, body);
    }
    return res;
  }

  async json(path) {
    return (await this.request(path)).json();
  }

  async text(path) {
    return (await this.request(path)).text();
  }

  async bytes(path) {
    return new Uint8Array(await (await this.request(path)).arrayBuffer());
  }

  async post(path, body) {
    const res = await this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  /** Every feature of a paged list (/v1/events or /v1/findings) for the query `q`. */
  async all(path, q = new URLSearchParams()) {
    const features = [];
    const query = new URLSearchParams(q);
    query.set('limit', '1000');
    for (;;) {
      const page = await this.json(`${path}?${query}`);
      features.push(...page.features);
      if (!page.next) {
        return features;
      }
      query.set('cursor', page.next);
    }
  }

  /**
   * Follow /v1/stream: calls onMessage({id, event, data}) for every message, onState(text)
   * when the connection changes.  Returns a function that stops it.
   */
  stream(onMessage, onState = () => {}, since = null) {
    const ctrl = new AbortController();
    let last = since;
    let stopped = false;
    const run = async () => {
      while (!stopped) {
        try {
          const q = last !== null ? `?since=${last}` : '';
          const res = await fetch(`/v1/stream${q}`, {
            headers: this.headers({ Accept: 'text/event-stream' }),
            signal: ctrl.signal,
          });
          if (!res.ok || !res.body) {
            throw new Error(`stream: ${res.status}`);
          }
          onState('live');
          const reader = res.body.getReader();
          const dec = new TextDecoder();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) {
              break;
            }
            buf += dec.decode(value, { stream: true });
            let cut;
            while ((cut = buf.indexOf('\n\n')) >= 0) {
              const msg = parseFrame(buf.slice(0, cut));
              buf = buf.slice(cut + 2);
              if (msg) {
                if (msg.id !== null) {
                  last = msg.id;
                }
                onMessage(msg);
              }
            }
          }
        } catch (err) {
          if (stopped) {
            return;
          }
          onState(`reconnecting (${err.message || err})`);
        }
        if (!stopped) {
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    };
    run();
    return () => {
      stopped = true;
      ctrl.abort();
    };
  }
}

/** One server-sent-events frame to {id, event, data}, or null for a comment-only frame. */
export function parseFrame(frame) {
  let id = null;
  let event = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line === '' || line.startsWith(':')) {
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'id') {
      id = value;
    } else if (field === 'event') {
      event = value;
    } else if (field === 'data') {
      data.push(value);
    }
  }
  if (!data.length) {
    return null;
  }
  let parsed;
  try {
    parsed = JSON.parse(data.join('\n'));
  } catch {
    return null;
  }
  return { id, event, data: parsed };
}
