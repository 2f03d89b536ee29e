/**
 * Condensation risk when moving from cold to warm (R-REC-3). The air's dew point comes from the
 * Magnus formula (Sensirion coefficients: over water for T ≥ 0 °C, over ice below); the lens is
 * modelled as a first-order thermal lag behind the air, so after walking from −10 °C into a
 * 20 °C / 50 % room the lens stays below the 9.3 °C dew point for minutes. While it is within
 * the margin of the dew point the device warns (journal + alert); it never stops recording.
 */
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { ClimateSample } from '../../hal/climate.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { RecorderConfig } from '../app/config.ts';

/** Dew point (°C) from air temperature (°C) and relative humidity (%), Magnus formula. */
export function dewPoint(celsius: number, humidity: number): number {
  const rh = Math.min(100, Math.max(0.01, humidity));
  const [b, c] = celsius >= 0 ? [17.62, 243.12] : [22.46, 272.62];
  const gamma = Math.log(rh / 100) + (b * celsius) / (c + celsius);
  return (c * gamma) / (b - gamma);
}

/** First-order lag: the lens approaches the air temperature with time constant `tauMs`. */
export class LensThermalModel {
  private lens: number | null = null;
  private at = 0;

  constructor(private readonly tauMs: number) {}

  get temperature(): number | null {
    return this.lens;
  }

  update(airC: number, at: number): number {
    if (this.lens === null) {
      this.lens = airC;
    } else {
      const dt = Math.max(0, at - this.at);
      this.lens += (airC - this.lens) * (1 - Math.exp(-dt / this.tauMs));
    }
    this.at = at;
    return this.lens;
  }
}

export interface CondensationState {
  risk: boolean;
  lensC: number | null;
  dewPointC: number | null;
  airC: number | null;
  humidity: number | null;
}

export interface CondensationServiceOptions {
  readings$: Observable<ClimateSample>;
  journal: ServiceJournal;
  alerts: AlertSink;
  config: RecorderConfig['condensation'];
}

export class CondensationService {
  private readonly lens: LensThermalModel;
  private readonly stateSubject = new BehaviorSubject<CondensationState>({ risk: false, lensC: null, dewPointC: null, airC: null, humidity: null });
  readonly state$: Observable<CondensationState> = this.stateSubject.asObservable();
  private sub: Subscription | null = null;

  constructor(private readonly o: CondensationServiceOptions) {
    this.lens = new LensThermalModel(o.config.lensTimeConstantMs);
  }

  get state(): CondensationState {
    return this.stateSubject.value;
  }

  start(): void {
    if (this.sub) return;
    this.sub = this.o.readings$.subscribe((s) => this.update(s));
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  private update(s: ClimateSample): void {
    const lensC = this.lens.update(s.celsius, s.at);
    const dp = dewPoint(s.celsius, s.humidity);
    const { marginC, clearHysteresisC } = this.o.config;
    const was = this.stateSubject.value.risk;
    const risk = was ? lensC <= dp + marginC + clearHysteresisC : lensC <= dp + marginC;
    this.stateSubject.next({ risk, lensC, dewPointC: dp, airC: s.celsius, humidity: s.humidity });
    if (risk === was) return;
    const entry = { lensC: round1(lensC), dewPointC: round1(dp), airC: round1(s.celsius), humidity: round1(s.humidity) };
    this.o.journal.note('condensation', { state: risk ? 'risk' : 'clear', ...entry });
    if (risk) {
      this.o.alerts.raise({
        kind: 'condensation-risk',
        severity: 'warning',
        message: `condensation risk: lens ${entry.lensC} °C, dew point ${entry.dewPointC} °C (recording continues)`,
        details: entry,
      });
    } else {
      this.o.alerts.clear('condensation-risk');
    }
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
