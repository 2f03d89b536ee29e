/** Runs a scenario to its verdicts (the simulation, the evidence on the card, the checks). */
import { ShiftSimulation, type ShiftRecord } from '../../tools/sim/shift-runner.ts';
import { gatherEvidence } from '../../tools/sim/evidence.ts';
import { requirementVerdicts, type RequirementResult } from '../../tools/sim/verdicts.ts';
import type { Scenario } from '../../tools/sim/scenario.ts';

export interface Verdicts {
  record: ShiftRecord;
  verdicts: RequirementResult[];
  failed: string[];
  of(id: string): RequirementResult;
}

export async function runToVerdicts(scenario: Scenario, seed = 1, hours?: number): Promise<Verdicts> {
  const record = await new ShiftSimulation({ scenario, seed, hours }).run();
  const verdicts = requirementVerdicts(record, await gatherEvidence(record));
  return {
    record,
    verdicts,
    failed: verdicts.filter((v) => v.verdict === 'fail').map((v) => v.id),
    of: (id) => verdicts.find((v) => v.id === id)!,
  };
}

/** A scenario with firmware configuration merged in (one level deep per section). */
export function withConfig(s: Scenario, config: Record<string, Record<string, unknown>>): Scenario {
  const merged: Record<string, unknown> = { ...s.config };
  for (const [k, v] of Object.entries(config)) merged[k] = { ...((s.config[k] as object | undefined) ?? {}), ...v };
  return { ...s, config: merged };
}
