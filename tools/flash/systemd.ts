/** The systemd unit that starts the firmware at boot and restarts it if it dies. */

export interface UnitOptions {
  description: string;
  /** Where the bundle lives on the device (its package.json and node_modules). */
  appDir: string;
  /** Arguments after `node dozor.mjs`. */
  args: readonly string[];
  user: string;
  /** Extra groups for hardware access. */
  groups?: readonly string[];
  environment?: Readonly<Record<string, string>>;
  /** How long systemd waits after SIGINT before SIGKILL: the firmware syncs evidence on stop. */
  stopTimeoutSec?: number;
}

/** systemd quotes arguments with double quotes; reject what would need more. */
function quote(arg: string): string {
  if (/["\\\n$%]/.test(arg)) throw new RangeError(`unit argument contains a character systemd would reinterpret: ${JSON.stringify(arg)}`);
  return /\s/.test(arg) ? `"${arg}"` : arg;
}

export function systemdUnit(o: UnitOptions): string {
  const groups = o.groups ?? ['gpio', 'i2c', 'video', 'dialout'];
  const env = Object.entries(o.environment ?? {}).map(([k, v]) => `Environment=${quote(`${k}=${v}`)}`);
  return [
    '[Unit]',
    `Description=${o.description}`,
    // The firmware reads the RTC itself; it only needs local filesystems, not the network.
    'After=local-fs.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `User=${o.user}`,
    `SupplementaryGroups=${groups.join(' ')}`,
    `WorkingDirectory=${o.appDir}`,
    ...env,
    `ExecStart=/usr/bin/node --enable-source-maps ${[`${o.appDir}/dozor.mjs`, ...o.args].map(quote).join(' ')}`,
    // SIGINT lets the firmware close the journal and the current segment cleanly.
    'KillSignal=SIGINT',
    `TimeoutStopSec=${o.stopTimeoutSec ?? 20}`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
