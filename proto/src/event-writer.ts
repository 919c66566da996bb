// TensorBoard event files: TFRecords of tensorflow.Event. The writer buffers events and hands them
// to a sink on a timer and on close, so the trainer can point it at a local folder or at anything
// that accepts appended bytes (its S3 upload, for one).

import type { FileHandle } from "node:fs/promises";
import { mkdir, open } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { Summary_ValueSchema } from "./gen/tensorflow/core/framework/summary_pb.ts";
import { type Event, EventSchema } from "./gen/tensorflow/core/util/event_pb.ts";
import { frameRecord, readTFRecords, type TFRecordSource } from "./tfrecord.ts";

export type { Event } from "./gen/tensorflow/core/util/event_pb.ts";

/** Where event bytes go. `append` calls for one file arrive in order, never concurrently. */
export interface EventSink {
  append(fileName: string, data: Uint8Array): Promise<void>;
  /** Makes earlier appends durable (fsync, upload); called after each flush's append. */
  flush?(fileName: string): Promise<void>;
  close?(): Promise<void>;
}

/** A sink writing `<dir>/<fileName>`, fsynced on every flush. */
export function directorySink(dir: string): EventSink {
  const files = new Map<string, FileHandle>();
  const handle = async (name: string) => {
    let h = files.get(name);
    if (!h) {
      await mkdir(dir, { recursive: true });
      h = await open(join(dir, name), "a");
      files.set(name, h);
    }
    return h;
  };
  return {
    async append(name, data) {
      await (await handle(name)).write(data);
    },
    async flush(name) {
      await files.get(name)?.datasync();
    },
    async close() {
      await Promise.all([...files.values()].map((h) => h.close()));
      files.clear();
    },
  };
}

export interface EventWriterOptions {
  /** Milliseconds between automatic flushes; default 5000. */
  flushIntervalMs?: number;
  /** Appended to the file name, e.g. ".v2". */
  suffix?: string;
  /** Clock in milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

export interface ImageSummary {
  /** Encoded PNG (or JPEG) bytes. */
  encoded: Uint8Array;
  width: number;
  height: number;
  /** 1 grayscale, 2 grayscale + alpha, 3 RGB (default), 4 RGBA. */
  colorspace?: number;
}

let sequence = 0;

export class EventWriter {
  private pending: Uint8Array[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  private constructor(
    private readonly sink: EventSink,
    readonly fileName: string,
    options: EventWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => void this.flush().catch(() => {}), options.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  /**
   * Starts a new event file `events.out.tfevents.<seconds>.<host>.<pid>.<n><suffix>` in `target`
   * (a directory path or a sink) and writes its `brain.Event:2` header.
   */
  static async create(target: string | EventSink, options: EventWriterOptions = {}): Promise<EventWriter> {
    const sink = typeof target === "string" ? directorySink(target) : target;
    const seconds = Math.floor((options.now ?? Date.now)() / 1000);
    const name = `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${sequence++}${options.suffix ?? ""}`;
    const writer = new EventWriter(sink, name, options);
    writer.add(create(EventSchema, { what: { case: "fileVersion", value: "brain.Event:2" } }));
    await writer.flush();
    return writer;
  }

  scalar(tag: string, value: number, step: number): void {
    this.summary(step, { tag, value: { case: "simpleValue", value } });
  }

  image(tag: string, image: ImageSummary, step: number): void {
    const { encoded, width, height, colorspace = 3 } = image;
    this.summary(step, {
      tag,
      value: { case: "image", value: { width, height, colorspace, encodedImageString: encoded } },
    });
  }

  /** Hands the buffered events to the sink; resolves when the sink has them durably. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.failure) throw this.failure;
      if (this.pending.length === 0) return;
      const data = Buffer.concat(this.pending);
      this.pending = [];
      try {
        await this.sink.append(this.fileName, data);
        await this.sink.flush?.(this.fileName);
      } catch (e) {
        this.failure = e as Error;
        throw e;
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      await this.sink.close?.();
    }
  }

  private summary(step: number, value: MessageInitShape<typeof Summary_ValueSchema>): void {
    this.add(create(EventSchema, { step: BigInt(step), what: { case: "summary", value: { value: [value] } } }));
  }

  private add(event: Event): void {
    if (this.closed) throw new Error(`event file ${this.fileName} is closed`);
    if (this.failure) throw this.failure;
    event.wallTime = this.now() / 1000;
    this.pending.push(frameRecord(toBinary(EventSchema, event)));
  }
}

/** Reads the events of an event file (a path, stream or bytes). */
export async function* readEvents(source: TFRecordSource): AsyncGenerator<Event> {
  for await (const record of readTFRecords(source)) yield fromBinary(EventSchema, record);
}
