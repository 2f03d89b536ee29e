#!/usr/bin/env node
// A stand-in for the libgpiod command-line tools (gpiodetect, gpioinfo, gpioget, gpioset,
// gpiomon) in either the v1 (1.5/1.6) or the v2 syntax, chosen by FAKE_GPIOD_VERSION. It
// parses its arguments like the real tool (an option the real version lacks is an error),
// prints in the real tool's format, and asks the fake kernel (a FakeGpiodKernel listening on
// FAKE_GPIOD_SOCKET) to request, read, set or watch lines, the way the real tools use ioctls.
import net from 'node:net';
import { createInterface } from 'node:readline';

const [tool, ...argv] = process.argv.slice(2);
const version = process.env.FAKE_GPIOD_VERSION ?? '1.6.3';
const v2 = version.startsWith('2.');

function die(msg, code = 1) {
  process.stderr.write(`${tool}: ${msg}\n`);
  process.exit(code);
}

/** getopt_long-style parsing: spec maps option names to { short, arg }. */
function parse(spec) {
  const opts = {};
  const args = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([name, s]) => [s.short, [name, s]]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      const s = spec[name];
      if (!s) die(v2 ? `unrecognized option '${a}'\ntry ${tool} --help` : `unrecognized option '${a}'\nTry '${tool} --help' for more information.`);
      opts[name] = s.arg ? (inline ?? argv[++i]) : true;
      if (s.arg && opts[name] === undefined) die(`option '--${name}' requires an argument`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const hit = byShort.get(a[j]);
        if (!hit) die(v2 ? `invalid option -- '${a[j]}'\ntry ${tool} --help` : `invalid option -- '${a[j]}'\nTry '${tool} --help' for more information.`);
        const [name, s] = hit;
        if (s.arg) {
          const rest = a.slice(j + 1);
          opts[name] = rest.length ? rest : argv[++i];
          if (opts[name] === undefined) die(`option requires an argument -- '${a[j]}'`);
          break;
        }
        opts[name] = true;
      }
      continue;
    }
    args.push(a);
  }
  if (opts.version) {
    process.stdout.write(v2 ? `${tool} v${version} (libgpiod v${version})\nCopyright (C) 2017-2023 Bartosz Golaszewski\n` : `${tool} (libgpiod) v${version}\nCopyright (C) 2017-2018 Bartosz Golaszewski\n`);
    process.exit(0);
  }
  return { opts, args };
}

const COMMON = { help: { short: 'h' }, version: { short: 'v' } };
const SPECS = v2
  ? {
      gpiodetect: { ...COMMON },
      gpioinfo: { ...COMMON, chip: { short: 'c', arg: true }, unquoted: {}, strict: { short: 's' }, 'by-name': {} },
      gpioget: { ...COMMON, 'active-low': { short: 'l' }, bias: { short: 'b', arg: true }, chip: { short: 'c', arg: true }, 'as-is': { short: 'a' }, consumer: { short: 'C', arg: true }, 'hold-period': { short: 'p', arg: true }, numeric: {}, unquoted: {}, strict: { short: 's' } },
      gpioset: { ...COMMON, 'active-low': { short: 'l' }, bias: { short: 'b', arg: true }, chip: { short: 'c', arg: true }, drive: { short: 'd', arg: true }, toggle: { short: 't', arg: true }, daemonize: { short: 'z' }, interactive: { short: 'i' }, banner: {}, consumer: { short: 'C', arg: true }, 'hold-period': { short: 'p', arg: true } },
      gpiomon: { ...COMMON, 'active-low': { short: 'l' }, bias: { short: 'b', arg: true }, chip: { short: 'c', arg: true }, edges: { short: 'e', arg: true }, format: { short: 'F', arg: true }, banner: {}, 'num-events': { short: 'n', arg: true }, quiet: { short: 'q' }, 'debounce-period': { short: 'p', arg: true }, consumer: { short: 'C', arg: true } },
    }
  : {
      gpiodetect: { ...COMMON },
      gpioinfo: { ...COMMON },
      gpioget: { ...COMMON, 'active-low': { short: 'l' }, bias: { short: 'B', arg: true } },
      gpioset: { ...COMMON, 'active-low': { short: 'l' }, bias: { short: 'B', arg: true }, drive: { short: 'D', arg: true }, mode: { short: 'm', arg: true }, sec: { short: 's', arg: true }, usec: { short: 'u', arg: true }, background: { short: 'b' } },
      gpiomon: { ...COMMON, 'active-low': { short: 'l' }, bias: { short: 'B', arg: true }, 'num-events': { short: 'n', arg: true }, silent: { short: 's' }, 'rising-edge': { short: 'r' }, 'falling-edge': { short: 'f' }, 'line-buffered': { short: 'b' }, format: { short: 'F', arg: true } },
    };

if (!SPECS[tool]) die('unknown tool');
const { opts, args } = parse(SPECS[tool]);

const BIASES = v2 ? ['as-is', 'pull-up', 'pull-down', 'disabled'] : ['as-is', 'disable', 'pull-down', 'pull-up'];
if (opts.bias !== undefined && !BIASES.includes(opts.bias)) die(`invalid bias: ${opts.bias}`);

// ---- talking to the fake kernel ----
const sock = net.createConnection(process.env.FAKE_GPIOD_SOCKET);
sock.on('error', (e) => die(`cannot reach the fake kernel: ${e.message}`));
const replies = createInterface({ input: sock });
const waiting = [];
let onPush = null;
replies.on('line', (l) => {
  const msg = JSON.parse(l);
  if (msg.push) onPush?.(msg);
  else waiting.shift()?.(msg);
});
function ask(req) {
  return new Promise((resolve) => {
    waiting.push(resolve);
    sock.write(`${JSON.stringify(req)}\n`);
  });
}
function finish(code = 0) {
  sock.end();
  process.exitCode = code;
}

await ask({ op: 'log', argv: [tool, ...argv] });

function chipArg(positional) {
  if (v2) return opts.chip ?? null;
  return positional;
}

function parseOffsets(chip, list) {
  return list.map((s) => {
    if (!/^\d+$/.test(s)) die(v2 ? `cannot find line '${s}'` : `invalid GPIO offset: ${s}`);
    return Number(s);
  });
}

const ERRNO_TEXT = { EBUSY: 'Device or resource busy', EINVAL: 'Invalid argument', ENOENT: 'No such file or directory' };
function fail(res, what) {
  if (v2 && res.error === 'ENOENT') die(`cannot find GPIO chip character device '${res.chip}'`);
  if (v2 && res.error === 'ERANGE') die(`offset ${res.offset} is out of range on chip '${res.chip}'`);
  if (v2) die(`unable to request lines on chip '/dev/${res.chip}': ${ERRNO_TEXT[res.error] ?? res.error}`);
  die(`${what}: ${ERRNO_TEXT[res.error === 'ERANGE' ? 'EINVAL' : res.error] ?? res.error}`);
}

if (tool === 'gpiodetect') {
  const { chips } = await ask({ op: 'chips' });
  for (const c of chips) process.stdout.write(`${c.name} [${c.label}] (${c.ngpio} lines)\n`);
  finish();
} else if (tool === 'gpioinfo') {
  const wanted = v2 ? (opts.chip ? [opts.chip] : null) : args.length ? args : null;
  const { chips } = await ask({ op: 'chips' });
  for (const c of chips.filter((x) => !wanted || wanted.includes(x.name))) {
    const { lines } = await ask({ op: 'info', chip: c.name });
    process.stdout.write(`${c.name} - ${c.ngpio} lines:\n`);
    for (const l of lines) {
      const name = l.name ? `"${l.name}"` : 'unnamed';
      if (v2) {
        process.stdout.write(`\tline ${String(l.offset).padStart(3)}:\t${name.padEnd(16)}\t${l.direction === 'out' ? 'output' : 'input'}${l.consumer ? ` consumer="${l.consumer}"` : ''}\n`);
      } else {
        const consumer = l.consumer ? `"${l.consumer}"` : 'unused';
        process.stdout.write(`\tline ${String(l.offset).padStart(3)}: ${name.padStart(12)} ${consumer.padStart(12)} ${(l.direction === 'out' ? 'output' : 'input').padStart(7)} active-high${l.consumer ? ' [used]' : ''}\n`);
      }
    }
  }
  finish();
} else if (tool === 'gpioget') {
  const chip = chipArg(args[0]);
  const rest = v2 ? args : args.slice(1);
  if (!chip) die(v2 ? `cannot find line '${rest[0]}'` : 'gpiochip must be specified');
  if (rest.length === 0) die(v2 ? 'at least one GPIO line must be specified' : 'at least one GPIO line offset must be specified');
  const res = await ask({ op: 'get', chip, offsets: parseOffsets(chip, rest), activeLow: !!opts['active-low'], consumer: 'gpioget' });
  if (res.error) fail(res, 'error reading GPIO values');
  if (v2) process.stdout.write(`${res.values.map((v, i) => (opts.numeric ? `${v}` : `${opts.unquoted ? rest[i] : `"${rest[i]}"`}=${v ? 'active' : 'inactive'}`)).join(' ')}\n`);
  else process.stdout.write(`${res.values.join(' ')}\n`);
  finish();
} else if (tool === 'gpioset') {
  const chip = chipArg(args[0]);
  const rest = v2 ? args : args.slice(1);
  if (!chip) die(v2 ? `cannot find line '${(rest[0] ?? '').split('=')[0]}'` : 'gpiochip must be specified');
  if (rest.length === 0) die('at least one GPIO line value must be specified');
  const pairs = rest.map((p) => {
    const m = /^(\d+)=(.*)$/.exec(p);
    if (!m) die(v2 ? `invalid line value: '${p}'` : `invalid offset<->value mapping: ${p}`);
    const val = v2 ? ({ 1: 1, 0: 0, active: 1, inactive: 0, on: 1, off: 0, true: 1, false: 0 })[m[2]] : ({ 1: 1, 0: 0 })[m[2]];
    if (val === undefined) die(`invalid line value: '${m[2]}'`);
    return [Number(m[1]), val];
  });
  const mode = v2 ? (opts.toggle === '0' ? 'exit' : 'hold') : (opts.mode ?? 'exit');
  if (!v2 && !['exit', 'wait', 'time', 'signal'].includes(mode)) die(`invalid mode: ${mode}`);
  const res = await ask({ op: 'set', chip, pairs, activeLow: !!opts['active-low'], consumer: 'gpioset', hold: mode !== 'exit' });
  if (res.error) fail(res, 'error setting the GPIO line values');
  if (mode === 'exit') finish();
  else {
    // Hold the request until told to stop, like the real tool.
    const stop = () => finish();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }
} else if (tool === 'gpiomon') {
  const chip = chipArg(args[0]);
  const rest = v2 ? args : args.slice(1);
  if (!chip) die(v2 ? `cannot find line '${rest[0]}'` : 'gpiochip must be specified');
  if (rest.length === 0) die('at least one GPIO line offset must be specified');
  let edge = 'both';
  if (v2 && opts.edges !== undefined) {
    if (!['rising', 'falling', 'both'].includes(opts.edges)) die(`invalid edges: ${opts.edges}`);
    edge = opts.edges;
  }
  if (!v2 && opts['rising-edge'] && !opts['falling-edge']) edge = 'rising';
  if (!v2 && opts['falling-edge'] && !opts['rising-edge']) edge = 'falling';
  // v1 without --line-buffered writes to a pipe through a block buffer: events would sit in it.
  const lineBuffered = v2 || !!opts['line-buffered'];
  const pending = [];
  const out = (s) => {
    if (lineBuffered) process.stdout.write(s);
    else pending.push(s);
  };
  const offsets = parseOffsets(chip, rest);
  onPush = (ev) => {
    const sec = Math.floor(ev.ts);
    const nsec = String(Math.round((ev.ts - sec) * 1e9)).padStart(9, '0');
    if (opts.format) {
      const type = ev.edge === 'rising' ? 1 : v2 ? 2 : 0;
      const text = opts.format.replace(/%(.)/g, (_, f) => ({ o: String(ev.offset), e: String(type), s: String(sec), n: nsec, S: `${sec}.${nsec}`, E: ev.edge, '%': '%' })[f] ?? `%${f}`);
      out(`${text}\n`);
    } else if (v2) {
      out(`${sec}.${nsec}\t${ev.edge}\t${chip} ${ev.offset}\n`);
    } else {
      out(`event: ${ev.edge === 'rising' ? ' RISING EDGE' : 'FALLING EDGE'} offset: ${ev.offset} timestamp: [${String(sec).padStart(8)}.${nsec}]\n`);
    }
  };
  const res = await ask({ op: 'monitor', chip, offsets, activeLow: !!opts['active-low'], edge, consumer: 'gpiomon' });
  if (res.error) fail(res, 'error waiting for events');
  if (v2 && opts.banner) process.stdout.write(offsets.length > 1 ? `Monitoring lines ${offsets.map((o) => `'${o}'`).join(', ')}...\n` : `Monitoring line '${offsets[0]}'...\n`);
  let stopping = false;
  // The chip went away under us (the fake kernel dropped the request).
  sock.on('close', () => {
    if (!stopping) die(v2 ? 'error reading edge events: No such device' : 'error waiting for events: No such device');
  });
  const stop = () => {
    stopping = true;
    if (pending.length) process.stdout.write(pending.join(''));
    sock.end();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
