/**
 * Scenario files: the world and the people around a simulated device, as data. YAML or JSON,
 * validated with errors that name the line (QA writes these by hand).
 *
 * Times in a timeline are "h:mm" or "h:mm:ss" after the scenario starts (device power-on in
 * the dock), or a number of seconds.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import { InputError } from '../cli/errors.ts';

const CLOCK_RE = /^(\d+):([0-5]\d)(?::([0-5]\d))?$/;

/** "h:mm[:ss]" or seconds → seconds. */
export function parseClock(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = CLOCK_RE.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not a time of the form h:mm or h:mm:ss`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

const timeOfShift = z
  .union([z.number().nonnegative(), z.string().regex(CLOCK_RE, 'expected h:mm or h:mm:ss')])
  .transform((v) => parseClock(v));

export const ENVIRONMENTS = ['outdoor', 'indoor', 'vehicle', 'tunnel-lit', 'tunnel-dark'] as const;
const environment = z.enum(ENVIRONMENTS);
const slot = z.union([z.literal(0), z.literal(1), z.literal('A'), z.literal('B')]).transform((s) => (s === 'A' || s === 0 ? 0 : 1) as 0 | 1);
const sensor = z.enum(['light', 'climate', 'rtc', 'gauge-a', 'gauge-b', 'camera', 'microphone', 'gnss', 'radar']);

/**
 * An action may wait for an alert instead of its time: it happens `delaySeconds` after the first
 * alert of that kind raised at or after `at` (people react to what the device tells them).
 */
const trigger = z.object({ alert: z.string().min(1), delaySeconds: z.number().nonnegative().default(0) }).strict();
const base = { at: timeOfShift, note: z.string().optional(), when: trigger.optional() };
const requirementId = z.string().regex(/^R-[A-Z]+-\d+$/, 'a requirement id looks like R-REC-1');

export const ACTION_SCHEMAS = [
  /** The responsible person issues the device (signed at the dock). */
  z.object({ ...base, do: z.literal('issue'), officer: z.string().min(1).optional(), vehicle: z.object({ boardNumber: z.string().optional(), plate: z.string().optional() }).optional(), plannedHours: z.number().positive().optional(), signer: z.enum(['responsible', 'duty-officer', 'stranger']).default('responsible') }).strict(),
  /** Taken out of the dock (duty starts) / put back in. */
  z.object({ ...base, do: z.literal('undock') }).strict(),
  z.object({ ...base, do: z.literal('dock') }).strict(),
  /** Returned at the dock (signed), ending duty. */
  z.object({ ...base, do: z.literal('return') }).strict(),
  /** An authorised rest or meal pause, signed by the duty officer (or by `signer`). */
  z.object({ ...base, do: z.literal('pause'), reason: z.enum(['rest', 'meal']), minutes: z.number().positive(), signer: z.enum(['duty-officer', 'responsible', 'stranger']).default('duty-officer') }).strict(),
  /** The officer presses a button (marker, record, pause, power). */
  z.object({ ...base, do: z.literal('press'), button: z.enum(['record', 'marker', 'pause', 'power']), holdSeconds: z.number().positive().default(0.2) }).strict(),
  z.object({ ...base, do: z.literal('playback'), segment: z.number().int().nonnegative().optional() }).strict(),
  z.object({ ...base, do: z.literal('environment'), env: environment }).strict(),
  z.object({ ...base, do: z.literal('weather'), clouds: z.number().min(0).max(1) }).strict(),
  /** Ambient air moves towards this temperature/humidity (carried indoors, weather change). */
  z.object({ ...base, do: z.literal('climate'), temperatureC: z.number().min(-50).max(60), humidity: z.number().min(0).max(100) }).strict(),
  /** Hot swap: the pack in `slot` is pulled and a charged one inserted `afterSeconds` later. */
  z.object({ ...base, do: z.literal('battery-swap'), slot, afterSeconds: z.number().nonnegative().default(15), socPercent: z.number().min(0).max(100).default(100) }).strict(),
  z.object({ ...base, do: z.literal('battery-remove'), slot }).strict(),
  z.object({ ...base, do: z.literal('battery-insert'), slot, socPercent: z.number().min(0).max(100).default(100) }).strict(),
  /** The evidence card is pulled; put back `afterSeconds` later unless null. */
  z.object({ ...base, do: z.literal('card-pull'), afterSeconds: z.number().positive().nullable().default(null) }).strict(),
  /** A card is inserted: the registered one, a foreign card, a clone of the registered CID without token, or a blank one. */
  z.object({ ...base, do: z.literal('card-insert'), card: z.enum(['registered', 'foreign', 'clone', 'blank']) }).strict(),
  z.object({ ...base, do: z.literal('seal-break') }).strict(),
  z.object({ ...base, do: z.literal('reseal'), signer: z.enum(['responsible', 'duty-officer']).default('responsible') }).strict(),
  /** Authorised time set by the responsible person (or a wrong signer). */
  z.object({ ...base, do: z.literal('time-set'), signer: z.enum(['responsible', 'duty-officer', 'stranger']).default('responsible'), offsetSeconds: z.number().default(0) }).strict(),
  /** The RTC oscillator stops (its battery fails): the time is untrusted from the next power-on. */
  z.object({ ...base, do: z.literal('clock-loss') }).strict(),
  /** Sudden loss of all power; back on `afterSeconds` later. */
  z.object({ ...base, do: z.literal('power-cut'), afterSeconds: z.number().positive().default(5) }).strict(),
  /** A sensor stops answering (for `forSeconds`, or for good). */
  z.object({ ...base, do: z.literal('sensor-fault'), device: sensor, forSeconds: z.number().positive().nullable().default(null) }).strict(),
  /** The link to the duty officer drops: the dock link, or the vehicle's online uplink (R-VEH-2, R-OFF-3). */
  z.object({ ...base, do: z.literal('link-down'), link: z.enum(['dock', 'uplink']), forSeconds: z.number().positive().nullable().default(null) }).strict(),
  /** The vehicle's supply (ignition on/off): external power without a dock. */
  z.object({ ...base, do: z.literal('external-power'), on: z.boolean() }).strict(),
  /** Vehicle recorder: the crew switches the IR lights off or on (MVD 18). */
  z.object({ ...base, do: z.literal('ir-lights'), enabled: z.boolean() }).strict(),
  /** A journal correction (R-LOG-5): a new entry referencing the first (or `index`-th) entry of type `entry`. */
  z.object({ ...base, do: z.literal('journal-correction'), entry: z.string().min(1), index: z.number().int().nonnegative().default(0), text: z.string().min(1), signer: z.enum(['responsible', 'duty-officer', 'stranger']).default('responsible') }).strict(),
] as const;

export const actionSchema = z.discriminatedUnion('do', ACTION_SCHEMAS);
export type ScenarioAction = z.infer<typeof actionSchema>;

const expectation = z
  .object({
    /** A metric of the summary compared to a number: "coverage >= 0.999", "gaps == 0". */
    metric: z.string().regex(/^[a-zA-Z.-]+\s*(>=|<=|==|>|<)\s*-?[\d.]+$/, 'expected "name OP number", e.g. "coverage >= 0.999"').optional(),
    /** An alert of this kind must (or must not, with count 0) be raised, optionally within a window. */
    alert: z.string().optional(),
    /** A journal entry type must appear, optionally within a window. */
    journal: z.string().optional(),
    after: timeOfShift.optional(),
    before: timeOfShift.optional(),
    /** Exact count, or at least / at most. */
    count: z.number().int().nonnegative().optional(),
    min: z.number().int().nonnegative().optional(),
    max: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((e) => [e.metric, e.alert, e.journal].filter(Boolean).length === 1, 'give exactly one of metric, alert, journal');
export type Expectation = z.infer<typeof expectation>;


const minMax = z.tuple([z.number().nonnegative(), z.number().nonnegative()]).refine(([a, b]) => a <= b, 'expected [min, max] with min ≤ max');

/**
 * What QA holds the device to, whatever its configuration says: a firmware setting that drifts
 * from these (hysteresis off, an alert threshold wrong) fails the matching requirement.
 */
export const limitsSchema = z
  .object({
    /** Longest authorised pause (R-REC-2). */
    maxPauseMinutes: z.number().positive().default(120),
    /** True recording time left when the low-battery alarm starts, min–max minutes (R-PWR-2; ≤ 20 min, anchor: 5–30). */
    lowBatteryAlarmMinutes: minMax.default([15, 30]),
    /** ... and when the critical alarm starts (≤ 5 min). */
    criticalBatteryAlarmMinutes: minMax.default([1.5, 8]),
    /** Standing battery and clock alarms repeat at least this often (s). */
    alarmRepeatSeconds: z.number().positive().default(25),
    /** True recording time left on the card when the free-space warning comes, min–max hours (R-REC-7). */
    storageWarningHours: minMax.default([0.75, 2]),
    /** Light below this (lx) must mean night mode, above `dayAboveLux` day mode (R-REC-5). */
    nightBelowLux: z.number().nonnegative().default(1),
    dayAboveLux: z.number().nonnegative().default(10),
    /** ... within this long after the light crossed (s). */
    dayNightDelaySeconds: z.number().positive().default(90),
    /** Two day/night switches closer than this are oscillation (s). */
    minSwitchIntervalSeconds: z.number().nonnegative().default(30),
    /** Recording must resume within this long after power, the card or a trusted clock is back (R-REC-1). */
    resumeSeconds: z.number().positive().default(20),
    /** A fault must be journalled and queued for the duty officer within this long (R-PWR-3). */
    faultReportSeconds: z.number().positive().default(120),
    /** Evidence time stamps within this of the true time (R-TIME-1). */
    timestampToleranceSeconds: z.number().nonnegative().default(2),
    /** A pack must power recording for at least this many hours (R-PWR-1). */
    packHours: z.number().positive().default(8),
    /** Charge of each pack the device may keep back for a clean shutdown; not counted as recording time left (%). */
    packReservePercent: z.number().min(0).max(20).default(1),
  })
  .strict()
  .prefault({});
export type Limits = z.infer<typeof limitsSchema>;

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    description: z.string().default(''),
    device: z.enum(['bodycam', 'vehicle', 'radar']).default('bodycam'),
    /** Scenario start (device wall and true time), ISO 8601 with offset. */
    start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 date-time, e.g. 2026-03-15T08:00:00+06:00'),
    hours: z.number().positive().max(48).default(8),
    location: z
      .object({ name: z.string().default(''), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
      .strict()
      .default({ name: 'Almaty', latitude: 43.238, longitude: 76.946 }),
    environment: environment.default('outdoor'),
    clouds: z.number().min(0).max(1).default(0.2),
    temperatureC: z.number().min(-50).max(60).default(18),
    humidity: z.number().min(0).max(100).default(50),
    batteries: z
      .array(z.object({ socPercent: z.number().min(0).max(100).default(100), healthPercent: z.number().min(10).max(100).default(100) }).strict().nullable())
      .length(2)
      .default([{ socPercent: 100, healthPercent: 100 }, { socPercent: 100, healthPercent: 100 }]),
    rtc: z.object({ oscillatorStopped: z.boolean().default(false), offsetSeconds: z.number().default(0), driftPpm: z.number().min(-100).max(100).optional() }).strict().default({ oscillatorStopped: false, offsetSeconds: 0 }),
    card: z.object({ capacityMb: z.number().positive().default(2048), prefillMb: z.number().nonnegative().default(0) }).strict().default({ capacityMb: 2048, prefillMb: 0 }),
    /** Requirements this scenario is built to show: each must get a verdict (pass), never n/a. */
    covers: z.array(requirementId).default([]),
    /** QA's own limits the verdicts judge by (independent of the firmware's configuration). */
    limits: limitsSchema,
    /** Firmware configuration overrides (validated by the firmware). */
    config: z.record(z.string(), z.unknown()).default({}),
    timeline: z.array(actionSchema).default([]),
    expect: z
      .record(z.string(), z.union([expectation, z.array(expectation)]))
      .superRefine((rec, ctx) => {
        for (const k of Object.keys(rec)) {
          if (!/^R-[A-Z]+-\d+$/.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `"${k}" is not a requirement id (they look like R-REC-1)` });
        }
      })
      .default({}),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;

/** A scenario file that does not validate: every problem with its line and column. */
export class ScenarioError extends InputError {
  constructor(
    readonly source: string,
    readonly problems: ReadonlyArray<{ line: number | null; column: number | null; path: string; message: string }>,
  ) {
    super(`${source}: invalid scenario\n${problems.map((p) => `  ${p.line ? `line ${p.line}${p.column ? `:${p.column}` : ''}` : '(file)'}${p.path ? ` ${p.path}` : ''}: ${p.message}`).join('\n')}`);
  }
}

/** Parses and validates scenario text (YAML, which includes JSON). */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0] };
      }),
    );
  }
  const result = scenarioSchema.safeParse(doc.toJS());
  if (result.success) {
    const timeline = [...result.data.timeline].sort((a, b) => a.at - b.at);
    const end = result.data.hours * 3600 + 3 * 3600;
    const late = timeline.find((a) => a.at > end);
    if (late) {
      throw new ScenarioError(source, [{ line: null, column: null, path: 'timeline', message: `action "${late.do}" at ${late.at} s is after the end of the simulated span` }]);
    }
    return { ...result.data, timeline };
  }
  const problems = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // An unknown field points at the field's own key, not at the object holding it.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [null];
    return keys.map((key) => {
      const full = key === null ? path : [...path, key];
      const node = key === null ? nodeAt(doc.contents, path) : keyNodeAt(doc.contents, path, key);
      const pos = node?.range ? lines.linePos(node.range[0]) : null;
      return { line: pos?.line ?? null, column: pos?.col ?? null, path: full.join('.'), message: issue.message };
    });
  });
  throw new ScenarioError(source, problems);
}

/** The deepest node along `path` (so a bad field inside an entry points at that entry at least). */
function nodeAt(root: unknown, path: readonly string[]): Node | null {
  let node = root as Node | null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
      if (!pair) return node;
      node = (pair.value as Node) ?? (pair.key as Node);
    } else if (isSeq(node)) {
      const item = node.items[Number(key)];
      if (!item) return node;
      node = item as Node;
    } else {
      return node;
    }
  }
  return node;
}

function keyNodeAt(root: unknown, path: readonly string[], key: string): Node | null {
  const parent = nodeAt(root, path);
  if (!isMap(parent)) return parent;
  const pair = parent.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
  return (pair?.key as Node) ?? parent;
}

export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `scenario file not found: ${file}` : `cannot read scenario file ${file}: ${(err as Error).message}`);
  }
  return parseScenario(text, file);
}
