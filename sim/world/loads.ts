/**
 * Current drawn from the pack (at ≈3.7 V, after the 5 V/3.3 V regulators at ≈90 % efficiency) by
 * each part of the body camera, in mA. Estimates for a Raspberry-Pi-Zero-2-W-class board with a
 * camera module, hardware H.264 encoding, a microSD card, an LTE modem idling and 850 nm IR LEDs;
 * replace them with bench measurements of the prototype (docs/sim-world.md).
 */
export const BODYCAM_LOADS_MA = {
  /** SoC, RAM and regulators, always on while the device runs. */
  system: 160,
  /** Camera module streaming. */
  camera: 90,
  /** Hardware H.264 encoding and ISP work on the SoC. */
  encoder: 110,
  /** Card writes, averaged. */
  storage: 40,
  microphone: 5,
  /** LTE modem idle/average. */
  uplink: 25,
  /** LEDs, buzzer, vibration, averaged. */
  indicators: 5,
  /** IR illuminator on (night mode). */
  irIlluminator: 200,
} as const;

export type BodycamLoad = keyof typeof BODYCAM_LOADS_MA;

/** Nominal body-camera draw: recording in daylight (everything except the IR illuminator). */
export const BODYCAM_NOMINAL_MA =
  BODYCAM_LOADS_MA.system +
  BODYCAM_LOADS_MA.camera +
  BODYCAM_LOADS_MA.encoder +
  BODYCAM_LOADS_MA.storage +
  BODYCAM_LOADS_MA.microphone +
  BODYCAM_LOADS_MA.uplink +
  BODYCAM_LOADS_MA.indicators;
