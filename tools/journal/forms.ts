/**
 * The paper journals of R-LOG-2..4, filled from the device journal. Column titles are copied
 * from the regulations as published (seeds: MVD order No. 971, Appendices 2 and 3, in Russian;
 * transport-control rules, order No. 436 as amended by order No. 419 of 05.12.2025, Appendices
 * 1–3, in Kazakh), including their own spelling ("роспись о сдачи", "Қызметкеррдің"). English
 * titles are our translation. We hold no official Kazakh text of the MVD forms nor Russian text
 * of the transport forms, so those combinations are refused rather than invented.
 *
 * Rows: MVD App. 2/3 and TRN App. 2/3 have one row per issue → return cycle; TRN App. 1 (a
 * hand-over journal) has one row per hand-over (the issue, and the return). Offload receipts
 * after a return belong to that cycle. Corrections (R-LOG-5) never change a row: the row is
 * marked as corrected and the note column says by which entry, by whom, and why.
 */
import type { JournalRecord, VerifyReport } from '../../firmware/journal/reader.ts';
import { isStructural } from './show.ts';
import { formDate, formDateTime, formDuration } from './time.ts';

export type FormId = 'mvd-app2' | 'mvd-app3' | 'trn-app1' | 'trn-app2' | 'trn-app3';
export const FORM_IDS: readonly FormId[] = ['mvd-app2', 'mvd-app3', 'trn-app1', 'trn-app2', 'trn-app3'];
export type Lang = 'ru' | 'kk' | 'en';
export const LANGS: readonly Lang[] = ['ru', 'kk', 'en'];

interface FormText {
  /** Which appendix of which act (the small print above the form). */
  appendix: string;
  title: string;
  columns: string[];
  footnote?: string;
}

interface FormDef {
  original: 'ru' | 'kk';
  text: Partial<Record<Lang, FormText>>;
  rows(cycles: Cycle[], ctx: RowContext): FormRow[];
}

export interface FormRow {
  cells: string[];
  /** A correction references one of the entries behind this row (shown struck through in HTML). */
  corrected: boolean;
}

const MVD_ACT_RU =
  'к Инструкции использования технических средств для фиксации фактов совершения уголовных и административных правонарушений и действий сотрудников органов внутренних дел Республики Казахстан (приказ Министра внутренних дел Республики Казахстан от 31 декабря 2014 года № 971)';
const MVD_ACT_EN =
  'to the Instruction on the use of technical means for recording criminal and administrative offences and actions of internal affairs officers of the Republic of Kazakhstan (order of the Minister of Internal Affairs No. 971 of 31 December 2014)';
const TRN_ACT_KK =
  'Көліктік бақылау органдары лауазымды адамдарының әкімшілік құқық бұзушылықтар және әрекеттер жасау фактілерін тіркеу үшін техникалық құралдарды пайдалану қағидаларына';
const TRN_ACT_EN =
  'to the Rules for the use of technical means by officials of transport control bodies for recording administrative offences and actions (order No. 436 of 26 June 2019, as amended by order No. 419 of 5 December 2025)';

const MVD_RECEIPT_RU = ['Дата и время, роспись о получении', 'Дата и время, роспись о сдачи', 'Дата и время выгрузки информации', 'Примечание'];
const MVD_RECEIPT_EN = ['Date and time, signature of receipt', 'Date and time, signature of return', 'Date and time of data offload', 'Note'];

// ---- phrases used in cells, per language ----

interface Phrases {
  issuedBy: string;
  receivedBy: string;
  key: string;
  files: string;
  pause: string;
  rest: string;
  meal: string;
  allowedBy: string;
  min: string;
  batteryCritical: string;
  batteryEmpty: string;
  fault: string;
  corrected: string;
  by: string;
  recovery: string;
  corruption: string;
  clockUntrusted: string;
  timeSet: string;
  notReturned: string;
  notIssued: string;
  sealOpened: string;
  cardRemoved: string;
  cardRefused: string;
  board: string;
  plate: string;
  trip: string;
  unitLabel: string;
  started: string;
  ended: string;
  statusValid: string;
  statusTruncated: string;
  statusInvalid: string;
  deviceJournal: string;
  keyPinned: string;
  keyFromJournal: string;
  records: string;
  numbers: string;
}

const PHRASES: Record<Lang, Phrases> = {
  ru: {
    issuedBy: 'выдал',
    receivedBy: 'принял',
    key: 'ключ',
    files: 'файлов',
    pause: 'пауза',
    rest: 'отдых',
    meal: 'приём пищи',
    allowedBy: 'разрешил',
    min: 'мин',
    batteryCritical: 'критический разряд батареи',
    batteryEmpty: 'батарея разряжена',
    fault: 'неисправность',
    corrected: 'ИСПРАВЛЕНО записью №',
    by: 'ответственное лицо',
    recovery: 'журнал восстановлен после сбоя питания',
    corruption: 'обнаружено повреждение журнала',
    clockUntrusted: 'время устройства не подтверждено',
    timeSet: 'время установлено',
    notReturned: 'не сдан',
    notIssued: 'выдача не записана',
    sealOpened: 'вскрыта пломба слота карты',
    cardRemoved: 'карта извлечена во время дежурства',
    cardRefused: 'карта отклонена',
    board: 'борт. №',
    plate: 'гос. №',
    trip: 'вагон/рейс',
    unitLabel: '(наименование подразделения)',
    started: 'Начат',
    ended: 'Окончен',
    statusValid: 'целостность подтверждена',
    statusTruncated: 'журнал обрывается (усечён или не закрыт)',
    statusInvalid: 'ЦЕЛОСТНОСТЬ НАРУШЕНА',
    deviceJournal: 'Электронный журнал устройства',
    keyPinned: 'ключ устройства сверен',
    keyFromJournal: 'ключ взят из самого журнала (не сверен)',
    records: 'записей',
    numbers: 'номера граф',
  },
  kk: {
    issuedBy: 'берген',
    receivedBy: 'қабылдаған',
    key: 'кілт',
    files: 'файл',
    pause: 'үзіліс',
    rest: 'демалу',
    meal: 'тамақ ішу',
    allowedBy: 'рұқсат берген',
    min: 'мин',
    batteryCritical: 'батарея заряды өте төмен',
    batteryEmpty: 'батарея заряды бітті',
    fault: 'ақау',
    corrected: 'ТҮЗЕТІЛДІ, жазба №',
    by: 'жауапты тұлға',
    recovery: 'қуат үзілгеннен кейін журнал қалпына келтірілді',
    corruption: 'журналдың зақымдануы анықталды',
    clockUntrusted: 'құрылғы уақыты расталмаған',
    timeSet: 'уақыт орнатылды',
    notReturned: 'тапсырылмаған',
    notIssued: 'беру жазылмаған',
    sealOpened: 'карта ұясының пломбасы ашылды',
    cardRemoved: 'кезекшілік кезінде карта алынды',
    cardRefused: 'карта қабылданбады',
    board: 'борт нөмірі',
    plate: 'мемл. нөмірі',
    trip: 'вагон/рейс',
    unitLabel: '(Инспекцияның атауы)',
    started: 'басталды',
    ended: 'аяқталды',
    statusValid: 'тұтастығы расталды',
    statusTruncated: 'журнал толық емес (қысқартылған немесе жабылмаған)',
    statusInvalid: 'ТҰТАСТЫҒЫ БҰЗЫЛҒАН',
    deviceJournal: 'Құрылғының электрондық журналы',
    keyPinned: 'құрылғы кілті тексерілді',
    keyFromJournal: 'кілт журналдың өзінен алынды (тексерілмеген)',
    records: 'жазба',
    numbers: 'баған нөмірлері',
  },
  en: {
    issuedBy: 'issued by',
    receivedBy: 'received by',
    key: 'key',
    files: 'files',
    pause: 'pause',
    rest: 'rest',
    meal: 'meal',
    allowedBy: 'allowed by',
    min: 'min',
    batteryCritical: 'battery critically low',
    batteryEmpty: 'battery empty',
    fault: 'fault',
    corrected: 'CORRECTED by entry #',
    by: 'responsible person',
    recovery: 'journal recovered after a power loss',
    corruption: 'journal damage found',
    clockUntrusted: 'device time not verified',
    timeSet: 'time set',
    notReturned: 'not returned',
    notIssued: 'issue not recorded',
    sealOpened: 'card slot seal opened',
    cardRemoved: 'card removed during duty',
    cardRefused: 'card refused',
    board: 'board No.',
    plate: 'plate',
    trip: 'car/trip',
    unitLabel: '(name of the unit)',
    started: 'Started',
    ended: 'Ended',
    statusValid: 'integrity verified',
    statusTruncated: 'journal ends early (truncated or not closed)',
    statusInvalid: 'INTEGRITY BROKEN',
    deviceJournal: 'Electronic journal of device',
    keyPinned: 'device key checked',
    keyFromJournal: 'key taken from the journal itself (not checked)',
    records: 'records',
    numbers: 'column numbers',
  },
};

// ---- cycles: one issue → return, with what happened in between and the offload after ----

export interface Cycle {
  issue: JournalRecord | null;
  ret: JournalRecord | null;
  offloads: JournalRecord[];
  recordedMs: number;
  /** Entries worth a note (pauses, battery, faults, seal, card, clock, recovery). */
  events: JournalRecord[];
  corrections: JournalRecord[];
  /** Seqs of every entry attributed to the cycle (to place corrections). */
  seqs: Set<number>;
  /** Some of its times were recorded while the device clock was not trusted. */
  untrustedTime: boolean;
}

function newCycle(): Cycle {
  return { issue: null, ret: null, offloads: [], recordedMs: 0, events: [], corrections: [], seqs: new Set(), untrustedTime: false };
}

export function buildCycles(records: readonly JournalRecord[]): Cycle[] {
  const cycles: Cycle[] = [];
  let open: Cycle | null = null;
  let last: Cycle | null = null;
  let clockTrusted = true;
  for (const r of records) {
    if (isStructural(r.type)) continue;
    let target: Cycle | null = open;
    switch (r.type) {
      case 'issue':
        open = newCycle();
        open.issue = r;
        cycles.push(open);
        target = open;
        break;
      case 'return':
        if (!open) {
          open = newCycle();
          cycles.push(open);
        }
        open.ret = r;
        target = open;
        last = open;
        open = null;
        break;
      case 'offload-receipt':
        target = open ?? last;
        target?.offloads.push(r);
        break;
      case 'segment-closed':
        if (open && typeof r.data.durationMs === 'number') open.recordedMs += r.data.durationMs;
        break;
      case 'clock-untrusted':
        clockTrusted = false;
        target?.events.push(r);
        break;
      case 'time-set':
        clockTrusted = true;
        target?.events.push(r);
        break;
      case 'recovery':
        target = open ?? last;
        target?.events.push(r);
        break;
      case 'correction': {
        const c = cycles.find((cy) => cy.seqs.has(r.data.corrects as number)) ?? null;
        c?.corrections.push(r);
        target = c;
        break;
      }
      case 'pause-start':
      case 'fault':
      case 'battery-alert':
      case 'seal-opened':
      case 'card-removed':
      case 'card-refused':
        if (open && noteworthy(r)) open.events.push(r);
        break;
      default:
        break;
    }
    if (target) {
      target.seqs.add(r.seq);
      if (!clockTrusted && (r.type === 'issue' || r.type === 'return' || r.type === 'offload-receipt')) target.untrustedTime = true;
    }
  }
  return cycles;
}

function noteworthy(r: JournalRecord): boolean {
  const d = r.data;
  if (r.type === 'fault') return d.state === 'raised';
  if (r.type === 'battery-alert') return d.level === 'critical' || d.level === 'empty';
  if (r.type === 'seal-opened' || r.type === 'card-removed') return d.duringDuty === true;
  return true;
}

// ---- cell helpers ----

interface RowContext {
  lang: Lang;
  p: Phrases;
  offsetMin: number;
  device: string;
}

type Signer = { name: string; keyId: string; counter: number };

function signer(by: unknown, ctx: RowContext): string {
  const b = by as Signer | undefined;
  if (!b || typeof b.name !== 'string') return '';
  return `${b.name} [${ctx.p.key} ${b.keyId}, №${b.counter}]`;
}

function dt(r: JournalRecord | null | undefined, ctx: RowContext): string {
  return r ? formDateTime(r.wall, ctx.offsetMin) : '';
}

function officer(issue: JournalRecord | null): string {
  return issue && typeof issue.data.officer === 'string' ? issue.data.officer : '';
}

function userCell(issue: JournalRecord | null, ctx: RowContext): string {
  if (!issue) return '';
  const parts: string[] = [];
  if (typeof issue.data.officer === 'string') parts.push(issue.data.officer);
  const v = issue.data.vehicle as { boardNumber?: string; plate?: string; trip?: string } | undefined;
  if (v?.boardNumber) parts.push(`${ctx.p.board} ${v.boardNumber}`);
  if (v?.plate) parts.push(`${ctx.p.plate} ${v.plate}`);
  if (v?.trip) parts.push(`${ctx.p.trip} ${v.trip}`);
  return parts.join(', ');
}

function inventory(c: Cycle): string {
  return c.issue && typeof c.issue.data.inventoryNumber === 'string' ? c.issue.data.inventoryNumber : '';
}

function offloadCell(c: Cycle, ctx: RowContext): string {
  if (c.offloads.length === 0) return '';
  const lastOffload = c.offloads[c.offloads.length - 1];
  return `${dt(lastOffload, ctx)} (${ctx.p.files}: ${c.offloads.length})`;
}

function eventNote(r: JournalRecord, ctx: RowContext): string {
  const d = r.data;
  const p = ctx.p;
  const at = formDateTime(r.wall, ctx.offsetMin);
  switch (r.type) {
    case 'pause-start':
      return `${at} ${p.pause} (${d.reason === 'meal' ? p.meal : p.rest}, ≤ ${String(d.maxMinutes)} ${p.min}), ${p.allowedBy}: ${signer(d.by, ctx)}`;
    case 'battery-alert':
      return `${at} ${d.level === 'empty' ? p.batteryEmpty : p.batteryCritical}`;
    case 'fault':
      return `${at} ${p.fault}: ${String(d.device)} — ${String(d.detail)}`;
    case 'seal-opened':
      return `${at} ${p.sealOpened}`;
    case 'card-removed':
      return `${at} ${p.cardRemoved}`;
    case 'card-refused':
      return `${at} ${p.cardRefused} (${String(d.reason)})`;
    case 'clock-untrusted':
      return `${at} ${p.clockUntrusted}`;
    case 'time-set':
      return `${at} ${p.timeSet}: ${formDateTime(d.oldTime as number, ctx.offsetMin)} → ${formDateTime(d.newTime as number, ctx.offsetMin)}${d.by ? `, ${signer(d.by, ctx)}` : ''}`;
    case 'recovery':
      return `${at} ${d.cause === 'corruption' ? p.corruption : p.recovery}`;
    default:
      return `${at} ${r.type}`;
  }
}

function notes(c: Cycle, ctx: RowContext): string {
  const out: string[] = [];
  if (c.ret && typeof c.ret.data.note === 'string') out.push(c.ret.data.note);
  if (c.issue && !c.ret) out.push(ctx.p.notReturned);
  if (!c.issue && c.ret) out.push(ctx.p.notIssued);
  if (c.untrustedTime) out.push(ctx.p.clockUntrusted);
  for (const e of c.events) out.push(eventNote(e, ctx));
  for (const k of c.corrections) {
    out.push(`${ctx.p.corrected}${k.seq} (${formDateTime(k.wall, ctx.offsetMin)}, ${ctx.p.by}: ${signer(k.data.by, ctx)}): ${String(k.data.note)}`);
  }
  // One note per line (HTML keeps the lines, CSV joins them with "; ").
  return out.join('\n');
}

const corrected = (c: Cycle) => c.corrections.length > 0;

function receipt(r: JournalRecord | null, label: string, ctx: RowContext): string {
  if (!r) return '';
  const by = signer(r.data.by, ctx);
  return by ? `${dt(r, ctx)}, ${label}: ${by}` : dt(r, ctx);
}

function mvdRows(cycles: Cycle[], ctx: RowContext): FormRow[] {
  return cycles.map((c, i) => ({
    cells: [String(i + 1), inventory(c), userCell(c.issue, ctx), receipt(c.issue, ctx.p.issuedBy, ctx), receipt(c.ret, ctx.p.receivedBy, ctx), offloadCell(c, ctx), notes(c, ctx)],
    corrected: corrected(c),
  }));
}

// ---- the forms ----

export const FORMS: Readonly<Record<FormId, FormDef>> = {
  'mvd-app2': {
    original: 'ru',
    text: {
      ru: {
        appendix: `Приложение 2 ${MVD_ACT_RU}`,
        title: 'Журнал учета выдачи и сдачи видеожетона и карт памяти мобильного видеорегистратора',
        columns: [
          '№ п/п',
          'Инвентарный номер видеожетона (карты памяти мобильного видеорегистратора)',
          'Ф.И.О. пользователя видеожетона (бортовой номер патрульного автотранспорта, гос.номер служебного или специального автотранспорта, номер специального вагона или рейса)',
          ...MVD_RECEIPT_RU,
        ],
      },
      en: {
        appendix: `Appendix 2 ${MVD_ACT_EN}`,
        title: 'Register of issue and return of body-worn cameras and memory cards of mobile video recorders',
        columns: [
          'No.',
          'Inventory number of the body camera (memory card of the mobile video recorder)',
          "Full name of the body camera's user (board number of the patrol vehicle, registration plate of the service or special vehicle, number of the special rail car or trip)",
          ...MVD_RECEIPT_EN,
        ],
      },
    },
    rows: mvdRows,
  },
  'mvd-app3': {
    original: 'ru',
    text: {
      ru: {
        appendix: `Приложение 3 ${MVD_ACT_RU}`,
        title: 'Журнал учета, выдачи и сдачи радара и карт памяти радара',
        columns: [
          '№ п/п',
          'Инвентарный номер радара',
          'Ф.И.О. (при его наличии) пользователя радара (бортовой номер патрульного автотранспорта, гос. номер)',
          ...MVD_RECEIPT_RU,
        ],
      },
      en: {
        appendix: `Appendix 3 ${MVD_ACT_EN}`,
        title: 'Register of issue and return of radars and radar memory cards',
        columns: ['No.', 'Radar inventory number', "Full name (if any) of the radar's user (board number of the patrol vehicle, registration plate)", ...MVD_RECEIPT_EN],
      },
    },
    rows: mvdRows,
  },
  'trn-app1': {
    original: 'kk',
    text: {
      kk: {
        appendix: `${TRN_ACT_KK} 1-қосымша`,
        title: 'Бейнежетонды қабылдау-тапсыру журналы',
        columns: [
          '№',
          'Бейнежетонның атауы мен түгендеу нөмірі',
          'Бейнежетонды тапсырған Инспекция қызметкерінің А.Т.Ж. (бар болған жағдайда) Тапсырғаны туралы қолы, күні мен уақыты',
          'Бейнежетонды қабылдаған Инспекция қызметкерінің А.Т.Ж. (бар болған жағдайда) қабылдағаны туралы қолы, күні мен уақыты',
          'Ақпараттарды көшіру күні мен уақыты',
          'Ескерту',
        ],
      },
      en: {
        appendix: `Appendix 1 ${TRN_ACT_EN}`,
        title: 'Body camera hand-over journal',
        columns: [
          'No.',
          'Name and inventory number of the body camera',
          'Full name (if any) of the Inspection officer handing over the body camera; signature of hand-over, date and time',
          'Full name (if any) of the Inspection officer taking over the body camera; signature of acceptance, date and time',
          'Date and time the data was copied',
          'Note',
        ],
      },
    },
    rows(cycles, ctx) {
      // One row per hand-over: the issue (responsible person → officer), the return (officer → responsible person).
      const rows: FormRow[] = [];
      for (const c of cycles) {
        const name = `${ctx.device} / ${inventory(c)}`;
        if (c.issue) {
          rows.push({
            cells: ['', name, `${signer(c.issue.data.by, ctx)}; ${dt(c.issue, ctx)}`, `${officer(c.issue)}; ${dt(c.issue, ctx)}`, '', c.ret ? '' : notes(c, ctx)],
            corrected: c.corrections.some((k) => k.data.corrects === c.issue!.seq),
          });
        }
        if (c.ret) {
          rows.push({
            cells: ['', name, `${officer(c.issue)}; ${dt(c.ret, ctx)}`, `${signer(c.ret.data.by, ctx)}; ${dt(c.ret, ctx)}`, c.offloads.length ? dt(c.offloads[c.offloads.length - 1], ctx) : '', notes(c, ctx)],
            corrected: c.corrections.some((k) => k.data.corrects !== c.issue?.seq),
          });
        }
      }
      return rows.map((r, i) => ({ ...r, cells: [String(i + 1), ...r.cells.slice(1)] }));
    },
  },
  'trn-app2': {
    original: 'kk',
    text: {
      kk: {
        appendix: `${TRN_ACT_KK} 2-қосымша`,
        title: 'USB флеш-жинағын беру және USB флеш-жинағында сақталған жазбаларды қабылдау журналы',
        columns: [
          '№',
          'USB флеш-жинағының түгендеу нөмірі',
          'USB флеш-жинағын беру күні мен уақыты',
          'USB флеш-жинағын қабылдаған Инспекция қызметкерлерінің А.Т.Ж. (бар болған жағдайда) Қабылдағандығы туралы қолы, күні мен уақыты',
          'Бөлім басшысының қолы',
          'USB флеш-жинағын тапсыру күні мен уақыты',
          'USB флеш-жинағын қабылдаған Инспекция қызметкерлерінің А.Т.Ж. (бар болған жағдайда) Тапсырғандығы туралы қолы, күні мен уақыты',
          'Бөлім басшысының қолы',
          'Ақпаратты түсіру күні мен уақыты және бейнежазбаның ұзақтығы (сағат.минут.секунд)',
          'Ескерту',
        ],
        footnote:
          'Ескертпе: 1, 2, 3, 4 және 5-бағандар USB флеш-жинағын беру кезінде толтырылады; 6, 7, 8, 9-бағандар USB флеш-жинағын бөлім басшысына ақпараттарды көшіріп алу үшін тапсыру кезінде толтырылады.',
      },
      en: {
        appendix: `Appendix 2 ${TRN_ACT_EN}`,
        title: 'Journal of issue of USB flash drives and acceptance of the recordings stored on them',
        columns: [
          'No.',
          'USB flash drive inventory number',
          'Date and time the USB flash drive was issued',
          'Full name (if any) of the Inspection officers who received the USB flash drive; signature of receipt, date and time',
          'Signature of the head of department',
          'Date and time the USB flash drive was handed back',
          'Full name (if any) of the Inspection officers who received the USB flash drive; signature of hand-back, date and time',
          'Signature of the head of department',
          'Date and time of data download and duration of the video recording (hours.minutes.seconds)',
          'Note',
        ],
        footnote:
          'Note: columns 1, 2, 3, 4 and 5 are filled in when the USB flash drive is issued; columns 6, 7, 8, 9 when it is handed to the head of department for copying the data.',
      },
    },
    rows(cycles, ctx) {
      return cycles.map((c, i) => ({
        cells: [
          String(i + 1),
          inventory(c),
          dt(c.issue, ctx),
          c.issue ? `${officer(c.issue)}; ${dt(c.issue, ctx)}` : '',
          signer(c.issue?.data.by, ctx),
          dt(c.ret, ctx),
          c.ret ? `${officer(c.issue)}; ${dt(c.ret, ctx)}` : '',
          signer(c.ret?.data.by, ctx),
          c.offloads.length ? `${dt(c.offloads[c.offloads.length - 1], ctx)}; ${formDuration(c.recordedMs, true)}` : c.ret ? formDuration(c.recordedMs, true) : '',
          notes(c, ctx),
        ],
        corrected: corrected(c),
      }));
    },
  },
  'trn-app3': {
    original: 'kk',
    text: {
      kk: {
        appendix: `${TRN_ACT_KK} 3-қосымша`,
        title: 'Мобильді интеллектуалды бақылау аспабын беру мен тапсыруды есепке алу журналы',
        columns: [
          '№',
          'Аспаптың түгендеу нөмірі',
          'Аспапты қабылдаған қызметкердің А.Т.Ж. (бар болған жағдайда).',
          'Қызметкеррдің аспапты қабылдау туралы қолы, күні және уақыты.',
          'Қызметкердің аспапты тапсыру туралы қолы, күні және уақыты.',
          'Ақпараттарды көшіру күні мен уақыты және бейнежазбалардың ұзақтығы (сағат.минут) (нақты уақыт режимінде деректерді беру мүмкіндігі болмаған жағдайда)',
        ],
        footnote: 'Ескертпе: Аспапты қабылдап алған қызметкер аспапты тапсыруды жүзеге асырылады.',
      },
      en: {
        appendix: `Appendix 3 ${TRN_ACT_EN}`,
        title: 'Journal of issue and return of mobile intelligent monitoring devices',
        columns: [
          'No.',
          'Device inventory number',
          'Full name (if any) of the officer receiving the device.',
          "Officer's signature, date and time of receiving the device.",
          "Officer's signature, date and time of returning the device.",
          'Date and time of copying the data and duration of the video recordings (hours.minutes) (where real-time data transfer was not possible)',
        ],
        footnote: 'Note: the officer who received the device returns it.',
      },
    },
    rows(cycles, ctx) {
      // The form has no note column: notes (corrections above all) follow the last column's value.
      return cycles.map((c, i) => {
        const copy = c.offloads.length ? `${dt(c.offloads[c.offloads.length - 1], ctx)}; ${formDuration(c.recordedMs, false)}` : '';
        const n = notes(c, ctx);
        return {
          cells: [String(i + 1), inventory(c), officer(c.issue), dt(c.issue, ctx), dt(c.ret, ctx), [copy, n].filter(Boolean).join('\n')],
          corrected: corrected(c),
        };
      });
    },
  },
};

/** The languages a form can be printed in: its original, and English. */
export function formLanguages(form: FormId): Lang[] {
  return LANGS.filter((l) => FORMS[form].text[l] !== undefined);
}

export interface FilledForm {
  form: FormId;
  lang: Lang;
  text: FormText;
  rows: FormRow[];
  /** Dates of the first and last row (for "Начат"/"Окончен"). */
  started: string;
  ended: string;
  footer: string;
}

export function fillForm(form: FormId, lang: Lang, records: readonly JournalRecord[], report: VerifyReport, offsetMin: number): FilledForm {
  const def = FORMS[form];
  const text = def.text[lang];
  if (!text) throw new RangeError(`form ${form} has no ${lang} text`);
  const p = PHRASES[lang];
  const ctx: RowContext = { lang, p, offsetMin, device: report.device ?? '?' };
  const cycles = buildCycles(records);
  const rows = def.rows(cycles, ctx);
  const times = cycles.flatMap((c) => [c.issue?.wall, c.ret?.wall, ...c.offloads.map((o) => o.wall)]).filter((t): t is number => t !== undefined);
  const status = report.status === 'valid' ? p.statusValid : report.status === 'truncated' ? p.statusTruncated : p.statusInvalid;
  const key = report.keyId ? `${p.key} ${report.keyId}, ${report.keySource === 'pinned' ? p.keyPinned : p.keyFromJournal}` : '';
  const footer = `${p.deviceJournal} ${report.device ?? '?'}: ${status}; ${key}; ${p.records}: ${report.records}, seq ${report.firstSeq ?? '-'}…${report.lastSeq ?? '-'}`;
  return {
    form,
    lang,
    text,
    rows,
    started: times.length ? formDate(Math.min(...times), offsetMin) : '',
    ended: times.length ? formDate(Math.max(...times), offsetMin) : '',
    footer,
  };
}

export function phrases(lang: Lang): Phrases {
  return PHRASES[lang];
}
