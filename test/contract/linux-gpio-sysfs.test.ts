// The GPIO controller contract and every GPIO-level driver's contract on sysfs (onoff over a fake /sys/class/gpio).
import { describeLinuxControllerContract, describeLinuxDriverContracts } from './linux-gpio-suites.ts';

describeLinuxControllerContract('sysfs');
describeLinuxDriverContracts('sysfs');
