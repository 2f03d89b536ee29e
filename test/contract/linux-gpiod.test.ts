// The GPIO controller contract on both libgpiod tool generations (v1 and v2 syntax, fake kernel).
import { describeLinuxControllerContract } from './linux-gpio-suites.ts';

describeLinuxControllerContract('gpiod-v1');
describeLinuxControllerContract('gpiod-v2');
