/** `dozor centre …`: a small processing-centre receiver for radar violations and vehicle records. */
import type { Command } from 'commander';
import { UsageError } from './errors.ts';

export function registerCentreCommands(program: Command): void {
  const centre = program.command('centre').description('processing-centre receiver for radar uplinks (tests and demos)');
  centre
    .command('serve')
    .description('accept violations and vehicle batches from radars, store them once, acknowledge')
    .requiredOption('--listen <tcp://HOST:PORT>', 'address to listen on, e.g. tcp://127.0.0.1:7070')
    .option('--db <FILE>', 'SQLite file for the records', 'centre.sqlite')
    .action(async (opts: { listen: string; db: string }) => {
      const { parseTcpUrl, listenTcp } = await import('../centre/tcp.ts');
      const { CentreStore } = await import('../centre/centre-store.ts');
      const { serveCentreSession } = await import('../centre/session.ts');
      let addr: { host: string; port: number };
      try {
        addr = parseTcpUrl(opts.listen);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const store = new CentreStore(opts.db);
      const server = await listenTcp(addr.host, addr.port, (link) => {
        process.stderr.write(`centre: ${link.name} connected\n`);
        void serveCentreSession(link, store, {
          onSubmit: (device, stored, dup, refused) => process.stderr.write(`centre: ${device}: stored ${stored}, duplicates ${dup}, refused ${refused}\n`),
        });
      });
      process.stderr.write(`centre: listening on ${opts.listen}, records in ${opts.db}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => server.close(() => resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      store.close();
    });
  centre
    .command('summary')
    .description('print what a centre database holds')
    .option('--db <FILE>', 'SQLite file', 'centre.sqlite')
    .action(async (opts: { db: string }) => {
      const { CentreStore } = await import('../centre/centre-store.ts');
      const store = new CentreStore(opts.db);
      process.stdout.write(`${JSON.stringify(store.counts())}\n`);
      store.close();
    });
}
