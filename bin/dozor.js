#!/usr/bin/env node
// Runs the TypeScript CLI straight from the checkout (tsx compiles on the fly); flashed bundles
// are built with esbuild instead and do not need this.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../tools/cli.ts');
process.exitCode = await main(process.argv);
