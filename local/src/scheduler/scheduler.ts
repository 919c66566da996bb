// The in-process twin of EventBridge Scheduler for `boxloop start`: every campaign whose settings
// hold a schedule expression gets a training run when it fires. It re-reads the campaigns on each
// tick, so a schedule set through the API takes effect without a restart.
import { parseSchedule, type Schedule } from "@boxloop/functions/schedule/cron";

export interface ScheduledCampaign {
  id: string;
  schedule?: string | null | undefined;
}

export interface SchedulerOptions {
  campaigns(): Promise<ScheduledCampaign[]>;
  fire(campaignId: string): Promise<void>;
  onError?(campaignId: string, error: unknown): void;
  /** How often the campaigns are re-read. @default 30_000 */
  tickMs?: number;
  now?: () => Date;
}

export interface Scheduler {
  /** One pass: fires every schedule that came due since the previous pass. */
  tick(): Promise<string[]>;
  stop(): void;
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? (() => new Date());
  const parsed = new Map<string, { expression: string; schedule: Schedule | undefined }>();
  let last = now();
  let running: Promise<unknown> = Promise.resolve();

  const scheduleOf = (campaign: ScheduledCampaign) => {
    const expression = campaign.schedule?.trim();
    if (!expression) return undefined;
    const cached = parsed.get(campaign.id);
    if (cached?.expression === expression) return cached.schedule;
    let schedule: Schedule | undefined;
    try {
      schedule = parseSchedule(expression);
    } catch (error) {
      options.onError?.(campaign.id, error);
    }
    parsed.set(campaign.id, { expression, schedule });
    return schedule;
  };

  const tick = async () => {
    const at = now();
    const since = last;
    last = at;
    const fired: string[] = [];
    for (const campaign of await options.campaigns()) {
      const due = scheduleOf(campaign)?.next(since);
      if (due === undefined || due > at) continue;
      fired.push(campaign.id);
      await options.fire(campaign.id).catch((error) => options.onError?.(campaign.id, error));
    }
    return fired;
  };

  const timer = setInterval(() => {
    running = running.then(tick).catch(() => {});
  }, options.tickMs ?? 30_000);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
