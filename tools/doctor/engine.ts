/**
 * The check engine of `dozor doctor`: probes the I2C buses a target names, opens its board and
 * checks every part through the HAL — one reading per sensor, the RTC and its oscillator-stop
 * flag, the card and its CID, one GOP from each camera, the serial devices, the inputs at rest —
 * and, when asked, blinks and beeps the outputs. Every row is pass, fail or skip with a reason;
 * a part that does not answer fails its own row and never stops the others.
 */
import { firstValueFrom } from 'rxjs';
import type { Board } from '../../hal/board.ts';
import type { Camera, VideoOptions } from '../../hal/camera.ts';
import type { Clock } from '../../hal/clock.ts';
import { BUTTON_NAMES, type ButtonName } from '../../hal/buttons.ts';
import { INDICATOR_OUTPUTS } from '../../hal/indicators.ts';
import { ChecksumError, DeviceNotFoundError, DeviceNotRespondingError, UnsupportedError } from '../../hal/errors.ts';
import { NAL, parseSps, splitNalUnits } from '../../hal/drivers/h264.ts';
import { decodeSdCid } from '../../hal/drivers/sd-cid.ts';
import { probeI2cBus } from './i2c-probe.ts';
import type { CheckResult, CheckStatus, DoctorOptions, DoctorReport, DoctorTarget } from './target.ts';

const DEFAULT_VIDEO: VideoOptions = { width: 640, height: 480, fps: 15, bitrate: 1_000_000, keyframeInterval: 15 };

/**
 * A stand-in for a part the board does not have, or whose driver failed to open
 * (hal/linux/absent.ts marks them): skipped with its reason, or failed with its error.
 */
function standIn(device: unknown): { status: CheckStatus; detail: string } | null {
  const d = device as { absent?: unknown; reason?: unknown; failed?: unknown } | null;
  if (!d || d.absent !== true || typeof d.reason !== 'string') return null;
  return { status: d.failed === true ? 'fail' : 'skip', detail: d.reason };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Rejects with `DeviceNotRespondingError` when `work` has not settled after `ms` on `clock`. */
function within<T>(clock: Clock, ms: number, what: string, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new DeviceNotRespondingError(what, `no answer within ${ms} ms`)), ms);
    work.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e);
      },
    );
  });
}

const fmt = (n: number, digits: number) => n.toFixed(digits);

export async function runDoctor(target: DoctorTarget, options: DoctorOptions = {}): Promise<DoctorReport> {
  const rows: CheckResult[] = [...(target.preamble ?? [])];
  const clock = target.clock;
  const sensorMs = options.sensorTimeoutMs ?? 5000;
  const run = <T>(work: Promise<T>) => target.run(work);

  /** Runs one check; an unexpected error fails that row only. */
  const check = async (id: string, part: string, body: () => Promise<{ status: CheckStatus; detail: string }>) => {
    try {
      rows.push({ id, part, ...(await body()) });
    } catch (err) {
      rows.push({ id, part, status: 'fail', detail: message(err) });
    }
  };

  // ---- I2C: every listed part answers, nothing unknown does ----
  try {
    for (const bus of await target.i2cBuses()) rows.push(...(await run(probeI2cBus(bus))));
  } catch (err) {
    rows.push({ id: 'i2c', part: 'I2C buses', status: 'fail', detail: message(err) });
  }

  // ---- the board ----
  let board: Board | null = null;
  try {
    board = await target.openBoard();
    rows.push({ id: 'board', part: 'board', status: 'pass', detail: `opened ${board.model} (${board.variant})` });
  } catch (err) {
    rows.push({ id: 'board', part: 'board', status: 'fail', detail: `does not open: ${message(err)}` });
  }

  if (board) {
    const b = board;
    /** A sensor read with a timeout; stand-ins for parts not fitted are skipped with their reason. */
    const read = <T>(device: unknown, name: string, work: () => Promise<T>): Promise<T> => run(within(clock, sensorMs, name, work()));
    const skipIfAbsent = standIn;

    await check('light', 'light sensor', async () => {
      const skip = skipIfAbsent(b.light);
      if (skip) return skip;
      const s = await read(b.light, b.light.name, () => b.light.read());
      if (!(s.lux >= 0) || !Number.isFinite(s.lux)) return { status: 'fail', detail: `implausible reading ${s.lux} lx` };
      return { status: 'pass', detail: `${s.lux < 10 ? fmt(s.lux, 2) : fmt(s.lux, 0)} lx${s.saturated ? ' (saturated: at least this bright)' : ''}` };
    });

    for (const gauge of b.batteries) {
      await check(`battery ${gauge.slot === 0 ? 'A' : 'B'}`, `fuel gauge, ${gauge.name}`, async () => {
        const skip = skipIfAbsent(gauge);
        if (skip) return skip;
        const r = await read(gauge, gauge.name, () => gauge.read());
        if (!r.present) return { status: 'skip', detail: 'no pack in the slot (the gauge runs from its cell)' };
        if (r.voltage < 2.5 || r.voltage > 4.5) return { status: 'fail', detail: `cell voltage ${fmt(r.voltage, 3)} V is outside 2.5–4.5 V: a wrong part or a broken cell` };
        return { status: 'pass', detail: `${fmt(r.voltage, 3)} V, ${fmt(r.socPercent, 1)} %, ${r.ratePercentPerHour >= 0 ? '+' : ''}${fmt(r.ratePercentPerHour, 1)} %/h` };
      });
    }

    await check('rtc', 'real-time clock', async () => {
      const skip = skipIfAbsent(b.rtc);
      if (skip) return skip;
      const r = await read(b.rtc, b.rtc.name, () => b.rtc.read());
      const temp = r.temperatureC === undefined ? '' : `, die ${fmt(r.temperatureC, 2)} °C`;
      if (r.oscillatorStopped) {
        return { status: 'fail', detail: `oscillator-stop flag set: the time (${new Date(r.time).toISOString()}) is not trustworthy until an authorised time set (R-TIME-1); check the coin cell${temp}` };
      }
      const offset = (r.time - clock.wallTime()) / 1000;
      return { status: 'pass', detail: `${new Date(r.time).toISOString()}, oscillator ran throughout${temp}; ${offset >= 0 ? '+' : ''}${fmt(offset, 1)} s against this computer's clock` };
    });

    await check('climate', 'climate sensor', async () => {
      const skip = skipIfAbsent(b.climate);
      if (skip) return skip;
      try {
        const c = await read(b.climate, b.climate.name, () => b.climate.read());
        if (c.celsius < -40 || c.celsius > 125 || c.humidity < 0 || c.humidity > 100) return { status: 'fail', detail: `implausible reading ${fmt(c.celsius, 1)} °C, ${fmt(c.humidity, 1)} %RH` };
        return { status: 'pass', detail: `${fmt(c.celsius, 1)} °C, ${fmt(c.humidity, 1)} %RH, CRC-8 ok` };
      } catch (err) {
        if (err instanceof ChecksumError) return { status: 'fail', detail: `CRC-8 mismatch: noise on the bus or long wires (${err.message})` };
        throw err;
      }
    });

    await check('card', 'card slot', async () => {
      const skip = skipIfAbsent(b.card);
      if (skip) return skip;
      const s = await read(b.card, b.card.name, () => b.card.status());
      const seal = s.sealClosed ? 'seal closed' : 'seal OPEN';
      if (!s.present) return { status: 'fail', detail: `no card in the slot (${seal})` };
      const identity = (b.card as { identity?: () => { problem: string | null } }).identity?.();
      if (identity?.problem) return { status: 'fail', detail: `card present but its identity is not trusted: ${identity.problem}` };
      if (!s.cid) return { status: 'fail', detail: `card present but its CID is unreadable (${seal})` };
      let what = '';
      try {
        const cid = decodeSdCid(s.cid);
        what = ` — manufacturer 0x${cid.mid.toString(16).padStart(2, '0')} "${cid.oidText}", ${JSON.stringify(cid.pnm)} rev ${cid.prv.major}.${cid.prv.minor}, serial 0x${cid.psn.toString(16).padStart(8, '0')}, ${cid.mdt.year}-${String(cid.mdt.month).padStart(2, '0')}`;
      } catch (err) {
        return { status: 'fail', detail: `CID ${s.cid} does not decode: ${message(err)}` };
      }
      return { status: 'pass', detail: `CID ${s.cid}${what}; ${seal}` };
    });

    const video = target.videoOptions ?? DEFAULT_VIDEO;
    const cameras: Array<[string, Camera]> = [['camera', b.camera], ...b.extraCameras.map((c, i): [string, Camera] => [`camera ${i + 2}`, c])];
    for (const [id, camera] of cameras) {
      await check(id, `${camera.name} (one GOP)`, async () => {
        const skip = skipIfAbsent(camera);
        if (skip) return skip;
        const gopMs = (video.keyframeInterval * 1000) / video.fps;
        const chunk = await run(within(clock, options.cameraTimeoutMs ?? 20_000 + gopMs, camera.name, firstValueFrom(camera.video(video))));
        const units = splitNalUnits(chunk.data);
        const sps = units.find((u) => u.type === NAL.SPS);
        if (!sps || !units.some((u) => u.type === NAL.IDR)) return { status: 'fail', detail: `the first chunk has no ${sps ? 'IDR' : 'SPS'}: not a keyframe-aligned H.264 GOP` };
        const size = parseSps(chunk.data.subarray(sps.start + sps.prefix, sps.end));
        if (size.width !== video.width || size.height !== video.height) return { status: 'fail', detail: `stream is ${size.width}×${size.height}, asked for ${video.width}×${video.height}` };
        return { status: 'pass', detail: `${chunk.frames} frames ${size.width}×${size.height} in ${(chunk.data.length / 1024).toFixed(0)} KiB, starts with SPS/PPS + IDR` };
      });
    }

    await check('microphone', 'microphone', async () => skipIfAbsent(b.microphone) ?? { status: 'pass', detail: 'present' });

    await check('buttons', 'buttons at rest', async () => {
      const skip = skipIfAbsent(b.buttons);
      if (skip) return skip;
      const wired = (b.buttons as { buttons?: readonly ButtonName[] }).buttons ?? BUTTON_NAMES;
      const stuck = wired.filter((n) => b.buttons.isPressed(n));
      if (stuck.length) return { status: 'fail', detail: `${stuck.join(', ')} read${stuck.length === 1 ? 's' : ''} pressed with nobody touching: a stuck button, or activeLow/pull wrong in the board file` };
      return { status: 'pass', detail: `${wired.join(', ')} released` };
    });

    await check('charger', 'charger and dock contact', async () => {
      const skip = skipIfAbsent(b.charger);
      if (skip) return skip;
      const s = await read(b.charger, b.charger.name, () => b.charger.read());
      const charging = s.charging.map((c, i) => (c ? `pack ${i ? 'B' : 'A'} charging` : null)).filter(Boolean);
      return { status: 'pass', detail: `${s.docked ? 'docked' : 'not docked'}, ${s.externalPower ? 'external power' : 'no external power'}, ${charging.length ? charging.join(', ') : 'not charging'}` };
    });

    await check('power path', 'power path', async () => {
      const skip = skipIfAbsent(b.powerPath);
      if (skip) return skip;
      const active = await read(b.powerPath, b.powerPath.name, () => b.powerPath.active());
      return { status: 'pass', detail: active === null ? 'no pack feeds the device (external power, or no usable pack)' : `pack ${active === 0 ? 'A' : 'B'} feeds the device` };
    });

    await check('gnss', 'GNSS', async () => {
      const gnss = b.gnss;
      if (!gnss) return { status: 'skip', detail: 'no GNSS on this board (or no serial driver in this build)' };
      const skip = skipIfAbsent(gnss);
      if (skip) return skip;
      const before = gnss.stats();
      let valid: boolean | null = null;
      const sub = gnss.fixes$.subscribe((f) => (valid = f.valid));
      try {
        await run(clock.sleep(options.gnssListenMs ?? 3000));
      } finally {
        sub.unsubscribe();
      }
      const after = gnss.stats();
      const sentences = after.sentences - before.sentences;
      const rejected = after.rejected - before.rejected;
      const ms = options.gnssListenMs ?? 3000;
      if (sentences === 0) {
        return { status: 'fail', detail: rejected ? `${rejected} garbled lines and no valid NMEA sentence in ${ms / 1000} s: wrong baud rate?` : `no NMEA sentences in ${ms / 1000} s: wiring (TX→RX), baud, or the serial console still on the UART` };
      }
      const fix = valid === null ? 'no fix report yet' : valid ? 'valid fix' : 'no satellite fix yet';
      return { status: 'pass', detail: `${sentences} sentences${rejected ? ` (${rejected} rejected)` : ''} in ${ms / 1000} s, ${fix}` };
    });

    await check('radar', 'radar', async () => {
      const radar = b.radar;
      if (!radar) return { status: 'skip', detail: 'no radar on this board (or no serial driver in this build)' };
      const skip = skipIfAbsent(radar);
      if (skip) return skip;
      await read(radar, radar.name, () => radar.configure({ directions: 'both', minSpeedKmh: 0 }));
      return { status: 'pass', detail: 'answered the configuration and its unit query (km/h)' };
    });

    await check('dock port', 'dock link', async () => {
      if (!b.dockPort) return { status: 'skip', detail: 'no dock link on this board (or no driver in this build)' };
      return skipIfAbsent(b.dockPort) ?? { status: 'pass', detail: `${b.dockPort.name} open, waiting for a dock` };
    });

    // ---- outputs: only when asked, someone has to watch and listen ----
    if (!options.outputs) {
      rows.push({ id: 'outputs', part: 'LEDs, buzzer, motor, IR ring, IR-cut', status: 'skip', detail: 'not exercised; run with --outputs to blink, beep, buzz and click them' });
    } else {
      const ind = b.indicators;
      for (const output of INDICATOR_OUTPUTS) {
        await check(`output ${output}`, output, async () => {
          const skip = skipIfAbsent(ind);
          if (skip) return skip;
          try {
            await run(ind.play(output, [200, 200, 200, 200, 200]));
          } catch (err) {
            if (err instanceof UnsupportedError || err instanceof DeviceNotFoundError) return { status: 'skip', detail: 'not on this board' };
            throw err;
          }
          return { status: 'pass', detail: `${output === 'buzzer' ? 'beeped' : output === 'vibration' ? 'buzzed' : 'blinked'} 3× (watch and listen: did it?)` };
        });
      }
      await check('output ir-light', 'IR illuminator', async () => {
        const skip = skipIfAbsent(b.irLight);
        if (skip) return skip;
        await b.irLight.set(1);
        await run(clock.sleep(1000));
        await b.irLight.set(0);
        return { status: 'pass', detail: 'on for 1 s (look through a phone camera: the ring glows)' };
      });
      await check('output ir-cut', 'IR-cut filter', async () => {
        const skip = skipIfAbsent(b.irCut);
        if (skip) return skip;
        await run(b.irCut.set('night'));
        await run(clock.sleep(500));
        await run(b.irCut.set('day'));
        return { status: 'pass', detail: 'moved to night and back to day (two clicks)' };
      });
    }
  }

  if (target.extraChecks) {
    try {
      rows.push(...(await target.extraChecks(board)));
    } catch (err) {
      rows.push({ id: 'extra', part: 'board-specific checks', status: 'fail', detail: message(err) });
    }
  }

  const summary: Record<CheckStatus, number> = { pass: 0, fail: 0, skip: 0 };
  for (const r of rows) summary[r.status] += 1;
  return { target: target.label, rows, summary, ok: summary.fail === 0 };
}
