import type { ShiftCliOptions } from '../cli/sim.ts';
import { DozorError } from '../../hal/errors.ts';

// Placeholder until the simulated board and the body-camera firmware are assembled.
export async function runShiftCommand(_opts: ShiftCliOptions): Promise<number> {
  throw new DozorError('ENOTREADY', 'the simulated board is not assembled yet');
}
