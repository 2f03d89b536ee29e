#!/usr/bin/env node
// Stand-ins for rpicam-vid, rpicam-still (and their libcamera-* names) and the legacy
// raspistill. They parse their arguments like the real tools (unknown options are errors),
// and produce real media made by ffmpeg/libx264 with the requested parameters: an H.264
// Annex-B stream with an IDR every --intra frames (SPS/PPS repeated with --inline), or a JPEG
// of the requested size. Behaviour switches (FAKE_CAMERA_MODE):
//   ok (default) · nocamera · die-after-bytes=N · ignore-sigint · hang
// A file named `unplugged` in $FAKE_CAMERA_DIR is a camera whose cable was pulled after boot:
// libcamera still lists it, but frames stop (a running rpicam-vid and any new capture fail with
// a device timeout).
// Every start and signal is appended to $FAKE_CAMERA_DIR/log.jsonl.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [tool, ...argv] = process.argv.slice(2);
const dir = process.env.FAKE_CAMERA_DIR;
const mode = process.env.FAKE_CAMERA_MODE ?? 'ok';
const speed = Number(process.env.FAKE_CAMERA_SPEED ?? '20');
const legacy = tool === 'raspistill';

function log(event, extra = {}) {
  fs.appendFileSync(path.join(dir, 'log.jsonl'), `${JSON.stringify({ tool, pid: process.pid, event, argv, ...extra })}\n`);
}

function fail(msg, code = 255) {
  process.stderr.write(legacy ? `${msg}\n` : `ERROR: *** ${msg} ***\n`);
  process.exit(code);
}

// option name -> takes a value
const RPICAM = {
  timeout: true, t: true, nopreview: false, n: false, camera: true, codec: true, inline: false, intra: true, g: true,
  framerate: true, bitrate: true, b: true, width: true, height: true, output: true, o: true, 'tuning-file': true,
  saturation: true, level: true, profile: true, denoise: true, flush: false, hflip: false, vflip: false, immediate: false,
  encoding: true, e: true, quality: true, q: true, 'low-latency': false, shutter: true, gain: true, ev: true, awb: true,
};
const ALIAS = { t: 'timeout', n: 'nopreview', g: 'intra', b: 'bitrate', o: 'output', e: 'encoding', q: 'quality' };
const RASPISTILL = { n: false, e: true, w: true, h: true, t: true, o: true, sa: true, q: true, vf: false, hf: false, ISO: true, ss: true, co: true, br: true, rot: true, awb: true, ex: true, drc: true, fli: true, ifx: true, awbg: true, th: true, tl: true };

function parse(spec) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1] in spec) || (!legacy && a.startsWith('--') !== (m[1].length > 1))) {
      fail(legacy ? `Invalid command line option (${a})` : `unrecognised option '${a}'`, legacy ? 64 : 255);
    }
    const name = legacy ? m[1] : (ALIAS[m[1]] ?? m[1]);
    if (spec[m[1]]) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) fail(`the required argument for option '${a}' is missing`);
      opts[name] = v;
    } else opts[name] = true;
  }
  return opts;
}

function int(v, what) {
  if (!/^\d+$/.test(String(v))) fail(`the argument ('${v}') for option '--${what}' is invalid`);
  return Number(v);
}

function ffmpeg(args, out) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { maxBuffer: 64 << 20 });
  if (r.status !== 0) fail(`ffmpeg failed: ${r.stderr}`);
  if (out) fs.renameSync(`${out}.tmp`, out);
  return r.stdout;
}

function jpeg(width, height, grey) {
  return ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}`, ...(grey ? ['-vf', 'hue=s=0'] : []), '-frames:v', '1', '-q:v', '4', '-f', 'mjpeg', '-']);
}

log('start');
process.on('SIGTERM', () => {
  log('signal', { signal: 'SIGTERM' });
  process.exit(0);
});
process.on('SIGINT', () => {
  log('signal', { signal: 'SIGINT' });
  if (mode !== 'ignore-sigint') process.exit(0);
});
if (mode === 'nocamera') {
  if (legacy) {
    process.stderr.write("mmal: Cannot read camera info, keeping the defaults for OV5647\nmmal: mmal_vc_component_create: failed to create component 'vc.ril.camera' (1:ENOMEM)\nmmal: mmal_component_create_core: could not create component 'vc.ril.camera' (1)\nmmal: Failed to create camera component\n");
    process.exit(70);
  }
  process.stderr.write('[0:00:00.123456789] [1234]  INFO Camera camera_manager.cpp:325 libcamera v0.3.2+27-7330f29b\n');
  fail('no cameras available');
}
const unplugged = () => fs.existsSync(path.join(dir, 'unplugged'));
const deviceTimeout = () => {
  log('died');
  fail('Device timeout detected, attempting a restart!!!');
};
if (mode === 'hang') setInterval(() => undefined, 1 << 30);
else if (unplugged() && tool !== 'raspistill') deviceTimeout();
else if (tool === 'rpicam-vid' || tool === 'libcamera-vid') {
  const o = parse(RPICAM);
  if (o.output !== '-') fail('this fake writes to stdout only (-o -)');
  if ((o.codec ?? 'h264') !== 'h264') fail('this fake encodes h264 only');
  const width = int(o.width ?? 640, 'width');
  const height = int(o.height ?? 480, 'height');
  const fps = int(o.framerate ?? 30, 'framerate');
  const intra = int(o.intra ?? 60, 'intra');
  const bitrate = int(o.bitrate ?? 2000000, 'bitrate');
  const timeout = int(o.timeout ?? 5000, 'timeout');
  const clip = path.join(dir, `clip-${width}x${height}@${fps}-g${intra}-b${bitrate}-${o.inline ? 'inline' : 'plain'}.h264`);
  if (!fs.existsSync(clip)) {
    ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-frames:v', String(2 * intra), '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1',
      '-bf', '0', '-g', String(intra), '-keyint_min', String(intra), '-sc_threshold', '0', '-b:v', String(bitrate),
      ...(o.inline ? ['-x264-params', 'repeat-headers=1'] : []), '-f', 'h264', `${clip}.tmp`], clip);
  }
  const data = fs.readFileSync(clip);
  process.stderr.write(`[0:00:00.100000000] [1234]  INFO Camera camera_manager.cpp:325 libcamera v0.3.2+27-7330f29b\nMode selection for ${width}:${height}:12:P\n`);
  const dieAfter = /^die-after-bytes=(\d+)$/.exec(mode);
  let written = 0;
  let loops = timeout === 0 ? Infinity : Math.max(1, Math.ceil((timeout * fps) / 1000 / (2 * intra)));
  const clipMs = ((2 * intra) / fps) * 1000;
  const tick = () => {
    if (loops-- <= 0) return process.exit(0);
    if (unplugged()) return deviceTimeout();
    let chunk = data;
    if (dieAfter && written + chunk.length >= Number(dieAfter[1])) {
      chunk = data.subarray(0, Number(dieAfter[1]) - written);
      process.stdout.write(chunk, () => {
        log('died');
        fail('Device timeout detected, attempting a restart!!!');
      });
      return;
    }
    written += chunk.length;
    // Honour pipe back-pressure like a real encoder blocked on write.
    process.stdout.write(chunk, () => setTimeout(tick, clipMs / speed));
  };
  tick();
} else if (tool === 'rpicam-still' || tool === 'libcamera-still') {
  const o = parse(RPICAM);
  if (o.output !== '-') fail('this fake writes to stdout only (-o -)');
  if ((o.encoding ?? 'jpg') !== 'jpg') fail('this fake encodes jpg only');
  process.stdout.write(jpeg(int(o.width ?? 4608, 'width'), int(o.height ?? 2592, 'height'), o.saturation === '0'));
} else if (tool === 'raspistill') {
  const o = parse(RASPISTILL);
  if (o.o !== '-') fail('this fake writes to stdout only (-o -)');
  if ((o.e ?? 'jpg') !== 'jpg') fail('this fake encodes jpg only');
  process.stdout.write(jpeg(int(o.w ?? 2592, 'w'), int(o.h ?? 1944, 'h'), o.sa === '-100'));
} else {
  fail(`unknown tool ${tool}`);
}
