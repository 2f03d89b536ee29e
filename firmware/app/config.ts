/**
 * The recorder firmware's configuration: one typed object, validated before anything touches
 * hardware, with the defaults the regulations and the research notes name. Body camera and
 * vehicle recorder share it; radar reuses the service sections it needs.
 *
 * Every field has a default, so `parseRecorderConfig({})` is a complete configuration and a
 * deployment overrides only what differs (`{ dayNight: { nightBelowLux: 1.5 } }`).
 */
import { z } from 'zod';
import { InvalidOptionsError } from '../../hal/errors.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const positiveMs = z.number().finite().positive();

const videoSchema = z
  .object({
    width: z.number().int().min(16).max(7680).default(1280),
    height: z.number().int().min(16).max(4320).default(720),
    fps: z.number().positive().max(240).default(30),
    /** Bits per second the encoder is asked for; also the fallback for free-space hours. */
    bitrate: z.number().int().positive().default(4_000_000),
    /** Frames between IDR frames (rpicam-vid `--intra`, default 60 = one GOP every 2 s at 30 fps). */
    keyframeInterval: z.number().int().min(1).max(1200).default(60),
  })
  .prefault({});

const recorderSchema = z
  .object({
    /** Target segment length (R-REC-1); cut at the first GOP boundary at or after it. */
    segmentMs: positiveMs.min(1000).default(60_000),
    /** Folder on the evidence card that holds `<camera>/<segment>.h264` and `.idx`. */
    videoDir: z.string().regex(/^[A-Za-z0-9._-]+$/).default('video'),
    /** After a camera error, resubscribe after this long. */
    cameraRetryMs: positiveMs.default(2_000),
    /** At duty end, wait at most this long (beyond one GOP) for the GOP that covers the end. */
    endOfDutyGraceMs: positiveMs.default(1_000),
  })
  .prefault({});

const dayNightSchema = z
  .object({
    /** Switch to night when the light stays below this (lx) for `dwellMs` (R-REC-5). */
    nightBelowLux: z.number().nonnegative().default(2),
    /** Switch to day when the light stays above this (lx) for `dwellMs`. */
    dayAboveLux: z.number().nonnegative().default(4),
    dwellMs: z.number().nonnegative().default(5_000),
    /** Never switch twice within this interval, whatever the sensor says. */
    minSwitchIntervalMs: z.number().nonnegative().default(30_000),
    /** Light sensor sampling period near the thresholds (and whenever a switch is pending). */
    pollMs: positiveMs.default(1_000),
    /** Sampling period when the light is far from the threshold that would switch the mode. */
    idlePollMs: positiveMs.default(4_000),
    /** "Near" by day: below nightBelowLux × farFactor; by night: above dayAboveLux ÷ farFactor. */
    farFactor: z.number().min(1).default(10),
    /** IR illuminator level at night (0..1). */
    irLevel: z.number().min(0).max(1).default(1),
  })
  .prefault({})
  .refine((d) => d.dayAboveLux > d.nightBelowLux, { message: 'dayAboveLux must be greater than nightBelowLux (hysteresis)' });

const powerSchema = z
  .object({
    /** Gauge polling (a MAX17048 itself updates every few seconds, every 45 s in hibernate). */
    pollMs: positiveMs.default(20_000),
    /** Low-battery alert when at most this many minutes of recording remain (R-PWR-2). */
    lowMinutes: z.number().positive().default(20),
    /** Critical alert at or below this many minutes. */
    criticalMinutes: z.number().positive().default(5),
    /** An alert level clears only once the estimate is this many minutes above its threshold. */
    clearHysteresisMinutes: z.number().nonnegative().default(2),
    /** Drain the active pack down to this charge, then switch to the other one. */
    switchSocPercent: z.number().min(0).max(100).default(3),
    /** ... or when its loaded voltage falls to this (V). */
    switchVoltage: z.number().nonnegative().default(3.35),
    /** A pack at or below this charge (or `shutdownVoltage`) is not a good pack. */
    emptySocPercent: z.number().min(0).max(100).default(1),
    shutdownVoltage: z.number().nonnegative().default(3.2),
    /** Recording draw assumed before one has been measured, in % of one pack per hour. */
    nominalDrawPercentPerHour: z.number().positive().default(10),
    /** Time constant of the draw estimate's smoothing. */
    drawSmoothingMs: positiveMs.default(5 * MINUTE),
    /** Issue is refused unless the packs cover the planned shift plus this reserve (R-PWR-4). */
    issueReserveHours: z.number().nonnegative().default(0.5),
  })
  .prefault({})
  .refine((p) => p.criticalMinutes < p.lowMinutes, { message: 'criticalMinutes must be below lowMinutes' });

const alertsSchema = z
  .object({
    /** Standing battery and clock alerts repeat this often on LED, buzzer and vibration (R-PWR-2). */
    repeatMs: positiveMs.default(20_000),
    /** Other standing warnings (storage, condensation, faults) repeat this often. */
    slowRepeatMs: positiveMs.default(5 * MINUTE),
    /** Alerts of at least this severity are queued for the duty officer (R-PWR-3). */
    outboundMinSeverity: z.enum(['info', 'warning', 'critical']).default('warning'),
    /** Retry a failed delivery after this long while a transport is attached. */
    retryMs: positiveMs.default(30_000),
    /** Keep at most this many undelivered alerts (oldest routine ones dropped first, never critical). */
    maxQueued: z.number().int().min(10).default(500),
  })
  .prefault({});

const clockSchema = z
  .object({
    /** A wall time before this is implausible (ms since epoch). */
    notBefore: z.number().finite().default(Date.UTC(2024, 0, 1)),
    notAfter: z.number().finite().default(Date.UTC(2100, 0, 1)),
    /** The clock must have been verified (authorised set or dock sync) within this period (R-TIME-1). */
    maxUnverifiedMs: positiveMs.default(7 * DAY),
    /** The RTC may be this much behind the last wall time the device saw before it counts as gone backwards. */
    backwardsToleranceMs: z.number().nonnegative().default(5 * MINUTE),
    /** A dock sync may correct drift up to this much; larger differences need a signed time set. */
    maxDockCorrectionMs: z.number().nonnegative().default(60_000),
    /** How often the last-seen wall time is persisted. */
    persistEveryMs: positiveMs.default(10 * MINUTE),
  })
  .prefault({})
  .refine((c) => c.notAfter > c.notBefore, { message: 'notAfter must be after notBefore' });

const condensationSchema = z
  .object({
    /** Climate sampling; the lens lags the air by minutes, so this is plenty. */
    pollMs: positiveMs.default(30_000),
    /** First-order lag of the lens temperature behind the air (R-REC-3). */
    lensTimeConstantMs: positiveMs.default(10 * MINUTE),
    /** Risk when the lens is within this margin above the dew point, or below it. */
    marginC: z.number().nonnegative().default(2),
    /** The risk clears only once the lens is this much further above the margin. */
    clearHysteresisC: z.number().nonnegative().default(1),
  })
  .prefault({});

const storageSchema = z
  .object({
    pollMs: positiveMs.default(60_000),
    /** Warn when free space holds fewer hours than this at the current bitrate (R-REC-7). */
    lowHours: z.number().positive().default(1),
    /** Smoothing of the measured write rate. */
    rateSmoothingMs: positiveMs.default(5 * MINUTE),
  })
  .prefault({});

const faultsSchema = z
  .object({
    /** A sensor that fails this many consecutive reads is reported as faulty (R-PWR-3). */
    failuresBeforeFault: z.number().int().min(1).default(3),
  })
  .prefault({});

const pauseSchema = z
  .object({
    /** Longest pause an authorisation may grant (R-REC-2). */
    maxMinutes: z.number().positive().default(120),
  })
  .prefault({});

export const recorderConfigSchema = z.object({
  video: videoSchema,
  recorder: recorderSchema,
  dayNight: dayNightSchema,
  power: powerSchema,
  alerts: alertsSchema,
  clock: clockSchema,
  condensation: condensationSchema,
  storage: storageSchema,
  faults: faultsSchema,
  pause: pauseSchema,
  /** Vehicle recorder: names of the cameras in board order (board.camera, then extraCameras). */
  cameraNames: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).min(1).optional(),
});

export type RecorderConfig = z.infer<typeof recorderConfigSchema>;
export type RecorderConfigInput = z.input<typeof recorderConfigSchema>;

/** Validates a (partial) configuration and fills in every default. Throws `InvalidOptionsError`. */
export function parseRecorderConfig(input: RecorderConfigInput | undefined = {}): RecorderConfig {
  const r = recorderConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new InvalidOptionsError(`recorder config: ${issues}`);
  }
  return r.data;
}

/** The defaults, for documentation and tests. */
export const DEFAULT_RECORDER_CONFIG: RecorderConfig = parseRecorderConfig({});

/** Duration of one GOP in ms at the configured frame rate. */
export function gopMs(config: RecorderConfig): number {
  return (config.video.keyframeInterval / config.video.fps) * 1000;
}
