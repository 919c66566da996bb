// Answers waiting for the server. Each is written to IndexedDB before it is sent, sent in order
// with its idempotency key, retried with backoff while the network or server fails, and deleted
// only once the server has acknowledged it. A page reload picks up where the last one stopped.
import { type AnswerBody, type Api, ApiError } from "./api.ts";

export interface Pending {
  key: string;
  seq: number;
  campaign: string;
  image: string;
  annotator: string;
  body: AnswerBody;
  attempts: number;
  /** Set when the server refused the answer for good (a 4xx); it stays until the user sees it. */
  error?: string;
}

const dbName = "boxloop";
const store = "outbox";
const maxBackoffMs = 4000;
let counter = 0;

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb(): Promise<IDBDatabase> {
  const req = indexedDB.open(dbName, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(store, { keyPath: "key" });
  return promised(req);
}

export class Outbox {
  private items: Pending[] = [];
  private sending: Pending | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private waiters: (() => void)[] = [];
  /** Answers handed to `add` whose IndexedDB write has not finished: counted as unsent already. */
  private storing: Pending[] = [];
  private adds: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: IDBDatabase,
    private readonly api: Api,
    private readonly onChange: (outbox: Outbox) => void,
  ) {}

  static async open(api: Api, onChange: (outbox: Outbox) => void): Promise<Outbox> {
    const box = new Outbox(await openDb(), api, onChange);
    const tx = box.db.transaction(store, "readonly");
    box.items = (await promised(tx.objectStore(store).getAll() as IDBRequest<Pending[]>)).sort((a, b) => a.seq - b.seq);
    addEventListener("online", () => box.kick());
    box.kick();
    return box;
  }

  /**
   * Answers not yet acknowledged (including refused ones). One being stored that will replace an
   * unsent answer for the same image does not count twice.
   */
  get unsent(): number {
    const images = new Set(this.items.filter((p) => p !== this.sending).map(answerOf));
    let count = this.items.length;
    for (const p of this.storing) {
      if (!images.has(answerOf(p))) count++;
      images.add(answerOf(p));
    }
    return count;
  }

  /** Answers still being written to IndexedDB (not yet safe from a closed tab). */
  get writing(): number {
    return this.storing.length;
  }

  get failed(): Pending[] {
    return this.items.filter((p) => p.error !== undefined);
  }

  /** Stores the answer durably, then sends it in the background. Resolves once it is in IndexedDB. */
  async add(campaign: string, image: string, annotator: string, body: AnswerBody): Promise<Pending> {
    const item: Pending = {
      key: crypto.randomUUID(),
      seq: Date.now() * 1000 + (counter++ % 1000),
      campaign,
      image,
      annotator,
      body,
      attempts: 0,
    };
    this.storing.push(item);
    this.onChange(this);
    // One at a time: an answer that replaces another must find it stored, not still being written.
    const stored = this.adds.then(() => this.store(item));
    this.adds = stored.catch(() => {});
    await stored;
    this.onChange(this);
    this.kick();
    return item;
  }

  private async store(item: Pending): Promise<void> {
    // A newer answer for the same image replaces an older one that has not left yet.
    const stale = this.items.filter((p) => p !== this.sending && answerOf(p) === answerOf(item));
    try {
      const tx = this.db.transaction(store, "readwrite");
      for (const p of stale) tx.objectStore(store).delete(p.key);
      tx.objectStore(store).put(item);
      await txDone(tx);
      this.items = [...this.items.filter((p) => !stale.includes(p)), item];
    } finally {
      this.storing = this.storing.filter((p) => p !== item);
    }
  }

  /** Resolves when every answer has been acknowledged (or refused). */
  drained(): Promise<void> {
    if (this.storing.length === 0 && this.items.every((p) => p.error !== undefined)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Tries now, for instance after the network came back. */
  kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.sending) void this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      const next = this.items.find((p) => p.error === undefined);
      if (!next) break;
      this.sending = next;
      try {
        await this.api.putAnswer(next.campaign, next.image, next.annotator, next.body, next.key);
        await this.remove(next);
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
        next.attempts += 1;
        if (!err.transient) {
          next.error = `${err.status} ${err.code}: ${err.message}`;
          await this.save(next);
        } else {
          this.sending = null;
          this.onChange(this);
          const wait = Math.min(maxBackoffMs, 250 * 2 ** Math.min(next.attempts - 1, 5));
          this.timer = setTimeout(() => this.kick(), wait);
          return;
        }
      } finally {
        this.sending = null;
      }
      this.onChange(this);
    }
    this.onChange(this);
    for (const w of this.waiters.splice(0)) w();
  }

  private async remove(item: Pending): Promise<void> {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).delete(item.key);
    await txDone(tx);
    this.items = this.items.filter((p) => p !== item);
  }

  private async save(item: Pending): Promise<void> {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).put(item);
    await txDone(tx);
  }

  /** Forget a refused answer after the user has seen it. */
  async discard(key: string): Promise<void> {
    const item = this.items.find((p) => p.key === key);
    if (item) await this.remove(item);
    this.onChange(this);
  }
}

/** Which answer an item is: one per image and annotator. */
const answerOf = (p: Pending) => `${p.campaign}/${p.image}/${p.annotator}`;

function txDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
