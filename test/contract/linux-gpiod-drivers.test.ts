// Every GPIO-level driver's contract on the libgpiod v2 tools (v1 differs only in tool syntax,
// which the controller contract covers).
import { describeLinuxDriverContracts } from './linux-gpio-suites.ts';

describeLinuxDriverContracts('gpiod-v2');
