/**
 * Figures the e2e run measures on the way (seconds), for `npm run bench:e2e`: printed at the end of the run and,
 * with E2E_FIGURES set, written to that file as JSON. Not assertions: the tests assert behaviour, not speed.
 */
import * as fs from "fs";

const figures: Record<string, number> = {};

export function figure(what: string, seconds: number): void {
  figures[what] = Math.round(seconds * 10) / 10;
  if (process.env.E2E_FIGURES) fs.writeFileSync(process.env.E2E_FIGURES, JSON.stringify(figures, null, 2));
}

export function allFigures(): Readonly<Record<string, number>> {
  return figures;
}
