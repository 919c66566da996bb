// EventBridge Scheduler's schedule expressions, evaluated in UTC, so that a campaign's schedule
// means the same in AWS and in `boxloop start`:
//   cron(minutes hours day-of-month month day-of-week year)   e.g. cron(0 3 * * ? *)
//   rate(value unit)                                          e.g. rate(6 hours)
// Day-of-week runs 1-7 from SUN; one of day-of-month and day-of-week must be `?`. `L` (last day of
// the month) is supported; `W` and `#` are rejected with a clear error rather than misread.

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

export interface Schedule {
  /** The first firing strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined;
}

const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const fields: Field[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: months },
  { name: "day-of-week", min: 1, max: 7, names: days },
  { name: "year", min: 1970, max: 2199 },
];

/** Parses `cron(...)` or `rate(...)`; throws ScheduleError naming the part that is wrong. */
export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return parseCron(cron[1]!);
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) return parseRate(rate[1]!);
  throw new ScheduleError(`'${expression}' is neither cron(...) nor rate(...)`);
}

function parseRate(body: string): Schedule {
  const match = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) throw new ScheduleError(`rate(${body}): expected 'rate(<n> minutes|hours|days)'`);
  const n = Number(match[1]);
  if (n < 1) throw new ScheduleError(`rate(${body}): the value must be at least 1`);
  const unit = match[2]!.replace(/s$/, "");
  if ((n === 1) !== !match[2]!.endsWith("s"))
    throw new ScheduleError(`rate(${body}): use '1 ${unit}' or '<n> ${unit}s'`);
  const ms = n * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit as "minute" | "hour" | "day"];
  return { next: (after) => new Date(Math.floor(after.getTime() / ms) * ms + ms) };
}

function parseCron(body: string): Schedule {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleError(`cron(${body}): expected 6 fields, got ${parts.length}`);
  const [dom, dow] = [parts[2]!, parts[4]!];
  if ((dom === "?") === (dow === "?")) {
    throw new ScheduleError(`cron(${body}): exactly one of day-of-month and day-of-week must be '?'`);
  }
  const sets = parts.map((part, i) =>
    part === "?" || (i === 2 && part === "L") ? undefined : parseField(part, fields[i]!),
  );
  const [minutes, hours, monthDays, monthSet, weekDays, years] = sets;
  const lastDay = dom === "L";

  const dayMatches = (d: Date) => {
    if (years && !years.has(d.getUTCFullYear())) return false;
    if (monthSet && !monthSet.has(d.getUTCMonth() + 1)) return false;
    if (lastDay) return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() === d.getUTCDate();
    if (monthDays) return monthDays.has(d.getUTCDate());
    return weekDays ? weekDays.has(d.getUTCDay() + 1) : true;
  };
  const sortedHours = [...(hours ?? range(0, 23))].sort((a, b) => a - b);
  const sortedMinutes = [...(minutes ?? range(0, 59))].sort((a, b) => a - b);

  return {
    next(after) {
      const start = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
      for (let i = 0; i < 366 * 8; i++, day += 86_400_000) {
        const d = new Date(day);
        if (!dayMatches(d)) continue;
        for (const h of sortedHours) {
          for (const m of sortedMinutes) {
            const t = day + h * 3_600_000 + m * 60_000;
            if (t >= start.getTime()) return new Date(t);
          }
        }
      }
      return undefined;
    },
  };
}

function parseField(text: string, field: Field): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (/[W#]/.test(item)) throw new ScheduleError(`${field.name} '${item}': W and # are not supported`);
    const [rangePart, stepPart] = item.split("/");
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleError(`${field.name} '${item}': bad step`);
    let low: number;
    let high: number;
    if (rangePart === "*") [low, high] = [field.min, field.max];
    else if (rangePart!.includes("-")) {
      const [a, b] = rangePart!.split("-");
      [low, high] = [value(a!, field), value(b!, field)];
    } else {
      low = value(rangePart!, field);
      high = stepPart === undefined ? low : field.max;
    }
    if (low > high) throw new ScheduleError(`${field.name} '${item}': range runs backwards`);
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

function value(text: string, field: Field): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + 1 : Number(text);
  if (!/^\w+$/.test(text) || !Number.isInteger(n) || n < field.min || n > field.max) {
    throw new ScheduleError(
      `${field.name} '${text}': expected ${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ""}`,
    );
  }
  return n;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
